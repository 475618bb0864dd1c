"""Send notification jobs through their channels, each once (twice only when a channel call's
outcome is unknown, and then said on the timeline: ``uncertain.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.core.errors import (
    PermanentSendError,
    SendError,
    SendOutcomeUnknown,
    TransientSendError,
)
from chalicelib.core.messaging.entries import failed_entry, fallback_entry, sent_entry
from chalicelib.core.messaging.passes import AckLinks
from chalicelib.core.messaging.ports import (
    BatchSender,
    ChannelSender,
    ClaimOutcome,
    DispatchQueue,
    SendLedger,
)
from chalicelib.core.messaging.uncertain import answer_lost_entry, requeue_delay, taken_over_entry
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Contact,
    Incident,
    IncidentStatus,
    Message,
    Notice,
    NotificationJob,
    SendReceipt,
    Stop,
)
from chalicelib.core.people import MAX_DEVICES
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.wording.templates import AckInfo, render_message


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry: list[NotificationJob] = field(default_factory=list)
    unknown_outcomes: int = 0  # sent again though the earlier attempt may have reached AWS
    requeued: int = 0  # claimed by another invocation: back on the queue until that is stale
    _held: list[tuple[NotificationJob, datetime]] = field(default_factory=list, repr=False)

    @property
    def needs_retry(self) -> bool:
        return bool(self.retry)


class Dispatcher:
    """Claims each job in the ledger before sending, so redelivered jobs send nothing.

    ``claim_timeout`` must exceed the longest a dispatch invocation can run (the Lambda
    timeout): a claim older than that belongs to an invocation that died mid-send.
    ``requeue``: where a job claimed by another invocation goes back to, delayed until that
    claim would be stale (without one, the job is in the report's ``retry``).
    """

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
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._ledger = ledger
        self._senders = senders
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._links = links
        self._requeue = requeue

    def dispatch(self, incident_id: str, jobs: Sequence[NotificationJob]) -> DispatchReport:
        report = DispatchReport()
        incident = self._incidents.get(incident_id)
        if incident is None:
            report.skipped += len(jobs)
            return report
        people = {job.contact_id for job in jobs if job.channel is not Channel.BROADCAST}
        contacts = self._directory.get_contacts(sorted(people))
        templates = self._playbooks.load_version(incident.playbook_version).templates_for(
            incident.plan_id
        )
        acks = self._passes(incident, jobs, people)
        work = list(jobs)
        batch: list[tuple[NotificationJob, str, Message]] = []
        while work or batch:
            if batch and (not work or _addresses(batch) >= _batch_limit(self._senders, batch)):
                self._send_batch(incident_id, batch, report, work)
                batch = []
                continue
            job = work.pop(0)
            sender = self._senders.get(job.channel)
            if not _still_wanted(job, incident):
                report.skipped += 1
                continue
            target = self._target(job, sender, contacts, templates.fallback_language, work)
            if target is None:
                report.skipped += 1
                continue
            destination, language, timezone = target
            assert sender is not None  # a job without a sender has no target
            if not self._claim(job, report):
                continue
            ack = acks.get(job.contact_id)
            message = render_message(
                incident, job.channel, language, templates, ack, job.notice, timezone
            )
            if isinstance(sender, BatchSender) and sender.batch_addresses:
                # Several people in one call (Pinpoint: 100 addresses), each with their own text.
                batch.append((job, destination, message))
                continue
            try:
                outcome: SendReceipt | SendError = sender.send(destination, message, incident_id)
            except SendError as error:
                outcome = error
            self._settle(job, outcome, report, work)
        self._put_back_held(report)
        return report

    def _claim(self, job: NotificationJob, report: DispatchReport) -> bool:
        """Whether to send ``job`` now: claimed (or taken over, said on the timeline); a job
        another invocation holds is put back later, one that is done is skipped."""
        now = self._clock.now()
        claim = self._ledger.claim(job, now, now - self._claim_timeout)
        if claim.outcome is ClaimOutcome.TAKEN_OVER:
            assert claim.since is not None
            self._incidents.append(job.incident_id, [taken_over_entry(job, claim.since, now)])
            report.unknown_outcomes += 1
        elif claim.outcome is ClaimOutcome.HELD:
            assert claim.since is not None
            report._held.append((job, claim.since + self._claim_timeout))
        elif claim.outcome is ClaimOutcome.DONE:
            report.skipped += 1
        return claim.granted

    def _put_back_held(self, report: DispatchReport) -> None:
        """Jobs held by another invocation go back on the queue until its claim is stale: if
        it finishes, they are done then; if it died, they are taken over. Never dropped."""
        held, report._held = report._held, []
        if not held:
            return
        jobs = [job for job, _ in held]
        if self._requeue is None:
            report.retry += jobs
            return
        delay = requeue_delay((stale_at for _, stale_at in held), self._clock.now())
        self._requeue.put_jobs(jobs, delay)
        report.requeued += len(jobs)

    def _target(
        self,
        job: NotificationJob,
        sender: ChannelSender | None,
        contacts: Mapping[str, Contact],
        fallback_language: str,
        work: list[NotificationJob],
    ) -> tuple[str, str, str] | None:
        """(destination, language, time zone) for the job, or None when it is not sent on this
        channel (then the next channel of its chain, if any, joins the work)."""
        if job.channel is Channel.BROADCAST:
            # One statement to the stakeholder topic, in the templates' fallback language.
            return None if sender is None else (STAKEHOLDERS, fallback_language, "UTC")
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
        return found, contact.language, contact.timezone

    def _send_batch(
        self,
        incident_id: str,
        batch: list[tuple[NotificationJob, str, Message]],
        report: DispatchReport,
        work: list[NotificationJob],
    ) -> None:
        sender = self._senders[batch[0][0].channel]
        assert isinstance(sender, BatchSender)
        items = [(destination, message) for _, destination, message in batch]
        try:
            outcomes: list[SendReceipt | SendError] = sender.send_batch(items, incident_id)
        except SendError as error:  # the whole call failed, after its retries
            outcomes = [error] * len(batch)
        for (job, _, _), outcome in zip(batch, outcomes, strict=True):
            self._settle(job, outcome, report, work)

    def _settle(
        self,
        job: NotificationJob,
        outcome: SendReceipt | SendError,
        report: DispatchReport,
        work: list[NotificationJob],
    ) -> None:
        """Record what became of one message: sent, or failed (retry later, or fall back)."""
        if isinstance(outcome, SendOutcomeUnknown):
            now = self._clock.now()
            self._ledger.mark_failed(job, True, now, answer_lost_entry(job, outcome, now))
            report.unknown_outcomes += 1
            report.retry.append(job)
            return
        if isinstance(outcome, SendError):
            self._record_failure(job, outcome)
            report.failed += 1
            if isinstance(outcome, TransientSendError):
                report.retry.append(job)
            else:
                work += self._fall_back(job, f"failed: {outcome.code}")
            return
        now = self._clock.now()
        self._ledger.mark_sent(job, outcome, now, sent_entry(job, outcome, now))
        report.sent += 1

    def _passes(
        self, incident: Incident, jobs: Sequence[NotificationJob], people: set[str]
    ) -> dict[str, AckInfo]:
        """Each person alerted here gets their acknowledgement link and reply code."""
        if self._links is None or incident.status is not IncidentStatus.OPEN:
            return {}
        paged = {job.contact_id for job in jobs if job.notice is Notice.ALERT} & people
        return self._links.issue(incident.incident_id, sorted(paged), self._clock.now())

    def _fall_back(self, job: NotificationJob, why: str) -> list[NotificationJob]:
        """The next channel of the job's chain, at once, with the reason on the timeline."""
        if not job.fallbacks:
            return []
        following = NotificationJob(
            job.incident_id,
            job.contact_id,
            job.fallbacks[0],
            job.step,
            job.fallbacks[1:],
            job.notice,
        )
        entry = fallback_entry(job, following, why, self._clock.now())
        self._incidents.append(job.incident_id, [entry])
        return [following]

    def _record_failure(self, job: NotificationJob, error: SendError) -> None:
        retryable = not isinstance(error, PermanentSendError)
        now = self._clock.now()
        self._ledger.mark_failed(job, retryable, now, failed_entry(job, error, retryable, now))


def _still_wanted(job: NotificationJob, incident: Incident) -> bool:
    """Alerts go out while the incident is open, and escalation steps only until someone
    acknowledged; resolution notices only once it is resolved."""
    if job.notice is Notice.RESOLVED:
        return incident.status is IncidentStatus.RESOLVED
    if incident.status is not IncidentStatus.OPEN:
        return False
    return job.step == 0 or incident.response.stopped is not Stop.ACKNOWLEDGED


def _addresses(batch: list[tuple[NotificationJob, str, Message]]) -> int:
    return sum(destination.count(";") + 1 for _, destination, _ in batch)


def _batch_limit(
    senders: Mapping[Channel, ChannelSender], batch: list[tuple[NotificationJob, str, Message]]
) -> int:
    """Send the batch once one more person might not fit (a person has at most 10 devices)."""
    sender = senders[batch[0][0].channel]
    assert isinstance(sender, BatchSender)
    return sender.batch_addresses - MAX_DEVICES
