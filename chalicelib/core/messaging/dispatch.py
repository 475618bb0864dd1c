"""Send notification jobs through their channels, each once, within the budget (twice
only when a channel call's outcome is unknown, and then said on the timeline: ``uncertain.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import cast

import chalicelib.core.telemetry as figures
from chalicelib.core.checkpoints import CHANNEL_ACCEPTED, checkpoint
from chalicelib.core.errors import PermanentSendError as Permanent
from chalicelib.core.errors import SendError, SendOutcomeUnknown, TransientSendError
from chalicelib.core.messaging.claims import Claims, record_all_sent, still_wanted
from chalicelib.core.messaging.dispatch_report import DispatchReport
from chalicelib.core.messaging.entries import failed_entry, fallback_entry, fallback_job, sent_entry
from chalicelib.core.messaging.first_send import first_alert, record_first_send
from chalicelib.core.messaging.passes import AckLinks
from chalicelib.core.messaging.ports import (
    WORDED_ELSEWHERE,
    BatchSender,
    ChannelSender,
    DispatchQueue,
    NoticeWriter,
    SendLedger,
)
from chalicelib.core.messaging.render_once import RenderCache
from chalicelib.core.messaging.uncertain import answer_lost_entry
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Contact,
    Incident,
    NotificationJob,
    SendReceipt,
)
from chalicelib.core.people import MAX_DEVICES
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.spend.gate import Cleared, Outgoing, SpendGate
from chalicelib.core.spend.meter import Charge


class Dispatcher:
    """Claims each job in the ledger before sending (``claims.py``), so redelivered jobs send
    nothing. ``claim_timeout`` must exceed the longest a sending invocation (dispatcher, evaluator)
    can run: an older claim's invocation died mid-send. ``requeue``: where a job another
    invocation is sending goes back (None: into the report's ``retry``). ``spending``: the
    budget gate every message passes (None: no budget, for benchmarks)."""

    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        ledger: SendLedger,
        senders: Mapping[Channel, ChannelSender],
        clock: Clock,
        claim_timeout: timedelta,
        links: AckLinks | None = None,
        requeue: DispatchQueue | None = None,
        spending: SpendGate | None = None,
        notices: NoticeWriter | None = None,
        meter: figures.Meter = figures.NO_METER,
    ) -> None:
        self._meter = meter
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._ledger = ledger
        self._senders = senders
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._links = links
        self._requeue = requeue
        self._spending = spending
        self._notices = notices  # check-ins' words (None: such jobs are skipped)
        self._renders = RenderCache()  # each kind of message rendered once, kept while unchanged
        self._batch_senders: dict[Channel, tuple[ChannelSender, bool]] = {}  # BatchSender?

    def dispatch(
        self,
        incident_id: str,
        jobs: Sequence[NotificationJob],
        known: Incident | None = None,
        read: Mapping[str, Contact] | None = None,
    ) -> DispatchReport:
        """``known``, ``read``: the incident and contacts as the caller just read them."""
        report = DispatchReport()
        incident = known or self._incidents.get(incident_id)
        if incident is None:
            report.skipped += len(jobs)
            return report
        people = {job.contact_id for job in jobs if job.channel is not Channel.BROADCAST}
        contacts = read if read is not None else self._directory.get_contacts(sorted(people))
        playbook = self._playbooks.load_version(incident.playbook_version)
        templates = playbook.templates_for(incident.plan_id)
        renders = self._renders.renders(incident, templates, playbook.checklist)
        links, now = self._links, self._clock.now()
        acks, passes = links.for_jobs(incident, jobs, people, now) if links else ({}, [])
        claims = Claims(self._ledger, self._incidents, self._clock, self._claim_timeout)
        claims.passes, claims.links = passes, links  # registered with the first claims
        worded = any(job.notice in WORDED_ELSEWHERE for job in jobs)
        words = self._notices.batch(incident, jobs) if worded and self._notices else None
        pending = list(jobs)
        while pending:  # each round: claim all, render, pass the budget, send; then fallbacks
            following: list[NotificationJob] = []
            wanted = []
            for job in pending:
                sender = self._senders.get(job.channel)
                elsewhere = job.notice in WORDED_ELSEWHERE
                if not still_wanted(job, incident) or (
                    elsewhere and (words is None or not words.wanted(job))
                ):
                    report.skipped += 1
                    continue
                target = self._target(job, sender, contacts, templates.fallback_language, following)
                if target is None:
                    report.skipped += 1
                    continue
                wanted.append((job, target))
            ready = []
            granted = claims.claim_all([job for job, _ in wanted])
            for (job, (destination, language, timezone, roles)), claimed in zip(
                wanted, granted, strict=True
            ):
                if not claimed:
                    continue
                ack = acks.get(job.contact_id)
                message = (
                    words.message(job, language, timezone, ack)
                    if job.notice in WORDED_ELSEWHERE and words is not None
                    else renders.message(job.channel, language, job.notice, timezone, ack, roles)
                )
                ready.append(Outgoing(job, destination, message))
            try:
                cleared = self._clear(incident, ready, report, following)
                self._send_all(incident_id, cleared, report, following)
            except Exception:  # what AWS accepted is closed, though the round failed after it
                self._close(report)
                raise
            self._close(report)
            pending = following
        report.skipped += claims.done
        report.unknown_outcomes += claims.taken_over
        report.requeued, unqueued = claims.put_back(self._requeue)
        report.retry += unqueued
        record_first_send(self._incidents, self._meter, incident, report.first_alert_at)
        return report

    def _clear(
        self,
        incident: Incident,
        ready: list[Outgoing],
        report: DispatchReport,
        following: list[NotificationJob],
    ) -> list[Cleared]:
        """What the budget lets through now; the rest is held (pages past the reserve: refused)."""
        if self._spending is None:
            return [Cleared(item, Charge(item.job.channel, 1, 0.0, "none")) for item in ready]
        admission = self._spending.admit(incident, ready)
        report.held += admission.held
        for item, why in admission.refused:
            self._settle(
                Cleared(item, Charge(item.job.channel, 0, 0.0, "none")),
                Permanent("reserve_spent", why),
                report,
                following,
            )
        return admission.cleared

    def _send_all(
        self,
        incident_id: str,
        cleared: list[Cleared],
        report: DispatchReport,
        following: list[NotificationJob],
    ) -> None:
        batches: dict[Channel, list[Cleared]] = {}
        batching: dict[Channel, bool] = {}
        for item in cleared:
            sender = self._senders[item.job.channel]
            channel = item.job.channel
            if channel not in batching:  # a Protocol's isinstance is slow (17 µs): once a sender
                known = self._batch_senders.get(channel)
                if known is None or known[0] is not sender:
                    known = self._batch_senders[channel] = (sender, isinstance(sender, BatchSender))
                batching[channel] = known[1] and cast(BatchSender, sender).batch_addresses > 0
            if batching[channel]:
                # Several people in one call (Pinpoint: 100 addresses), each with their own text.
                batch = batches.setdefault(item.job.channel, [])
                batch.append(item)
                if _addresses(batch) >= cast(BatchSender, sender).batch_addresses - MAX_DEVICES:
                    self._send_batch(incident_id, batches.pop(item.job.channel), report, following)
                continue
            try:
                outcome: SendReceipt | SendError = sender.send(
                    item.outgoing.destination, item.outgoing.message, incident_id
                )
                checkpoint(CHANNEL_ACCEPTED)
            except SendError as error:
                outcome = error
            self._settle(item, outcome, report, following)
        for batch in batches.values():
            self._send_batch(incident_id, batch, report, following)

    def _target(
        self,
        job: NotificationJob,
        sender: ChannelSender | None,
        contacts: Mapping[str, Contact],
        fallback_language: str,
        work: list[NotificationJob],
    ) -> tuple[str, str, str, tuple[str, ...]] | None:
        """(address, language, zone, roles); None: not on this channel (its chain's next joins)."""
        if job.channel is Channel.BROADCAST:
            # One statement to the stakeholder topic, in the templates' fallback language.
            return None if sender is None else (STAKEHOLDERS, fallback_language, "UTC", ())
        contact = contacts.get(job.contact_id)
        if contact is None:
            return None
        # Checked again at sending: the person may have opted out since planning.
        unreachable = contact.unreachable_on(job.channel)
        if unreachable is not None or sender is None:
            work += self._fall_back(job, unreachable or f"{job.channel.value} not configured")
            return None
        found = contact.destination(job.channel)
        assert found is not None
        return found, contact.language, contact.timezone, contact.roles

    def _send_batch(
        self,
        incident_id: str,
        batch: list[Cleared],
        report: DispatchReport,
        work: list[NotificationJob],
    ) -> None:
        sender = self._senders[batch[0].job.channel]
        assert isinstance(sender, BatchSender)
        items = [(item.outgoing.destination, item.outgoing.message) for item in batch]
        try:
            outcomes: list[SendReceipt | SendError] = sender.send_batch(items, incident_id)
            checkpoint(CHANNEL_ACCEPTED)
        except SendError as error:  # the whole call failed, after its retries
            outcomes = [error] * len(batch)
        for item, outcome in zip(batch, outcomes, strict=True):
            self._settle(item, outcome, report, work)

    def _settle(
        self,
        item: Cleared,
        outcome: SendReceipt | SendError,
        report: DispatchReport,
        work: list[NotificationJob],
    ) -> None:
        """Record what became of one message: sent, or failed (retry later, or fall back)."""
        job = item.job
        if isinstance(outcome, SendOutcomeUnknown):
            now = self._clock.now()
            self._ledger.mark_failed(job, True, now, answer_lost_entry(job, outcome, now))
            report.unknown_outcomes += 1
            report.retry.append(job)
            return
        if isinstance(outcome, SendError):
            retry, now = not isinstance(outcome, Permanent), self._clock.now()
            self._ledger.mark_failed(job, retry, now, failed_entry(job, outcome, retry, now))
            report.failed += 1
            self._meter.record(figures.MESSAGES_FAILED, by=job.channel.value)
            if isinstance(outcome, TransientSendError):
                if outcome.throttled:
                    self._meter.record(figures.MESSAGES_THROTTLED, by=job.channel.value)
                report.retry.append(job)
            else:
                work += self._fall_back(job, f"failed: {outcome.code}")
            return
        now = self._clock.now()
        report.unrecorded.append((job, outcome, sent_entry(job, outcome, item.charge, now)))
        report.sent += 1
        report.first_alert_at = first_alert(report.first_alert_at, job, now)

    def _close(self, report: DispatchReport) -> None:
        """What AWS accepted this round: counted sent (a figure a channel), closed in the ledger."""
        sent = report.take_unrecorded()
        for channel, count in Counter(job.channel for job, _, _ in sent).items():
            self._meter.record(figures.MESSAGES_SENT, count, by=channel.value)
        record_all_sent(self._ledger, sent, self._clock.now())

    def _fall_back(self, job: NotificationJob, why: str) -> list[NotificationJob]:
        """The next channel of the job's chain, at once, with the reason on the timeline."""
        following = fallback_job(job)
        if following is None:
            return []
        now = self._clock.now()
        self._incidents.append(job.incident_id, [fallback_entry(job, following, why, now)])
        return [following]


def _addresses(batch: list[Cleared]) -> int:
    return sum(item.outgoing.destination.count(";") + 1 for item in batch)
