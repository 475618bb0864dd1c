"""Canaries: every round, a test message on each channel to the canary contacts, judged by the
delivery receipts that come back.

    tick ──▶ judge open rounds (all receipts in, or past judge_by)
               ──▶ verdict once (conditional) ──▶ the round's test incident resolved with it
               ──▶ a channel newly failing: canary.failed (trigger) + the operations topic
               ──▶ a channel delivering again: canary.failed (resolve) + the operations topic
               ──▶ the failing channels saved (conditional on the version read)
         ──▶ begin this slot's round once (conditional): a test incident (status test), then
             one job per (contact, channel) on the dispatch queue

A round is an incident so that the dispatcher, the send ledger and the delivery tracker work
for it exactly as for any alert: the canary watches that very path. Pure: the stores, the
queue, the intake, the operations topic and the clock are injected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.activation.intake import IngestService, Sender
from chalicelib.core.fields import describe_duration
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    Channel,
    EventStatus,
    Incident,
    IncidentStatus,
    NotificationJob,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.playbook.watching import Canary
from chalicelib.core.ports import Clock, ContactDirectory
from chalicelib.core.watch import notices, rounds
from chalicelib.core.watch.ports import (
    CanaryIncidents,
    CanaryRound,
    CanaryRounds,
    OperationsTopic,
)

ROUND_TYPE = "tocsin.canary"
# canary.failed events keep their dedup keys in a namespace of their own.
CANARIES = Sender(namespace="canaries")


@dataclass(frozen=True)
class ChannelCheck:
    """One channel of one judged round: what the alarm counts."""

    canary_id: str
    channel: Channel
    delivered: bool
    detail: str
    incident_id: str


@dataclass
class CanaryReport:
    begun: list[str] = field(default_factory=list)  # round incident ids
    checks: list[ChannelCheck] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)  # "canary/channel", newly failing
    recovered: list[str] = field(default_factory=list)
    unwatched: list[str] = field(default_factory=list)  # what a round could not test, and why


class Canaries:
    def __init__(
        self,
        playbooks: PlaybookSource,
        rounds_store: CanaryRounds,
        incidents: CanaryIncidents,
        directory: ContactDirectory,
        dispatch: DispatchQueue,
        intake: IngestService,
        operations: OperationsTopic | None,
        channels: frozenset[Channel],
        clock: Clock,
    ) -> None:
        self._playbooks = playbooks
        self._rounds = rounds_store
        self._incidents = incidents
        self._directory = directory
        self._dispatch = dispatch
        self._intake = intake
        self._operations = operations
        self._channels = channels  # those the deployment has senders for
        self._clock = clock

    def tick(self) -> CanaryReport:
        report = CanaryReport()
        playbook = self._playbooks.load()
        for canary in playbook.canaries:
            recent = self._rounds.recent_rounds(canary.canary_id)
            for open_round in (r for r in recent if r.verdict is None):
                self._judge(canary, open_round, report)
            slot = canary.round_start(self._clock.now())
            if all(r.started_at != slot for r in recent):
                self._begin(canary, slot, playbook, report)
        return report

    def _begin(
        self, canary: Canary, slot: datetime, playbook: Playbook, report: CanaryReport
    ) -> None:
        now = self._clock.now()
        pairs, gaps = self._messages(canary)
        incident_id = incident_id_for_event(new_event_id(now))
        started = CanaryRound(
            canary.canary_id, slot, now, incident_id, now + canary.receipt_within, tuple(pairs)
        )
        if not self._rounds.begin(started):
            return  # another tick began it
        report.unwatched += [f"{canary.canary_id}: {gap}" for gap in gaps]
        if not pairs:
            self._rounds.judged(
                canary.canary_id, slot, {"none": "nothing to send: " + "; ".join(gaps)}
            )
            return
        channels = sorted({channel.value for _, channel in pairs})
        people = sorted({contact_id for contact_id, _ in pairs})
        title = f"Canary {canary.canary_id}: a test message on {', '.join(channels)}"
        entries = [
            TimelineEntry(
                at=now,
                kind="canary_round",
                summary=f"{title} to {', '.join(people)}; each must come back with a delivery "
                f"receipt within {describe_duration(canary.receipt_within)}",
                data={"canary": canary.canary_id, "channels": channels, "contacts": people},
                key="canary-round",
            ),
            *(
                TimelineEntry(now, "canary_gap", gap, {"canary": canary.canary_id}, f"gap-{i}")
                for i, gap in enumerate(gaps)
            ),
        ]
        self._incidents.create(
            Incident(
                incident_id=incident_id,
                status=IncidentStatus.OPEN,
                title=title,
                type=ROUND_TYPE,
                severity=Severity.INFO,
                event_status=EventStatus.TEST,
                dedup_key=f"canary:{canary.canary_id}:{slot.isoformat()}",
                rule_id="canary",
                plan_id=f"canary:{canary.canary_id}",
                opened_at=now,
                updated_at=now,
                playbook_version=playbook.version,
                expires_at=playbook.retention.incident_expiry(now),
            ),
            entries,
        )
        self._dispatch.put_jobs([NotificationJob(incident_id, c, ch) for c, ch in pairs])
        report.begun.append(incident_id)

    def _messages(self, canary: Canary) -> tuple[list[tuple[str, Channel]], list[str]]:
        """(contact, channel) for every channel the canary tests, and what it cannot test."""
        watched = canary.watched(self._channels)
        gaps = [
            f"{channel.value} is not configured here, so it is not tested"
            for channel in canary.channels
            if channel not in watched
        ]
        found = self._directory.get_contacts(list(canary.contacts))
        gaps += [f"no contact {c} (import it)" for c in canary.contacts if c not in found]
        pairs = []
        for channel in watched:
            reachable = [
                c for c in canary.contacts if c in found and not found[c].unreachable_on(channel)
            ]
            gaps += [
                f"{channel.value} to {c}: {found[c].unreachable_on(channel)}"
                for c in canary.contacts
                if c in found and c not in reachable
            ]
            if not reachable:
                gaps.append(f"{channel.value} is not tested: no canary contact can receive it")
            pairs += [(contact_id, channel) for contact_id in reachable]
        return pairs, gaps

    def _judge(self, canary: Canary, open_round: CanaryRound, report: CanaryReport) -> None:
        now = self._clock.now()
        timeline = self._incidents.timeline(open_round.incident_id)
        outcomes = rounds.judge(open_round, timeline, now)
        if outcomes is None:
            return  # receipts still awaited
        verdicts = rounds.verdict(outcomes)
        if not self._rounds.judged(canary.canary_id, open_round.started_at, verdicts):
            return  # another tick judged it
        broken = rounds.failing(verdicts)
        incident = self._incidents.get(open_round.incident_id)
        if incident is not None:
            self._incidents.close(
                incident,
                TimelineEntry(
                    at=now,
                    kind="canary_failed" if broken else "canary_passed",
                    summary=("canary round FAILED: " if broken else "canary round passed: ")
                    + rounds.summary(outcomes),
                    data={"canary": canary.canary_id, "channels": dict(verdicts)},
                    key="canary-verdict",
                ),
            )
        report.checks += [
            ChannelCheck(
                canary.canary_id,
                Channel(channel),
                said == rounds.DELIVERED,
                said,
                open_round.incident_id,
            )
            for channel, said in verdicts.items()
        ]
        self._tell_changes(canary, open_round, outcomes, broken, report)

    def _tell_changes(
        self,
        canary: Canary,
        judged: CanaryRound,
        outcomes: Sequence[rounds.MessageOutcome],
        broken: frozenset[Channel],
        report: CanaryReport,
    ) -> None:
        """Incidents and the operations topic hear of changes only: a channel that starts
        failing, and one that delivers again (the alarm counts every failed round)."""
        state = self._rounds.state(canary.canary_id)
        newly = sorted(broken - state.failing)
        again = sorted(state.failing - broken)
        details = "\n".join(f"  {o.channel.value} to {o.contact_id}: {o.detail}" for o in outcomes)
        for channel, action, said in [
            *((channel, "trigger", report.failing) for channel in newly),
            *((channel, "resolve", report.recovered) for channel in again),
        ]:
            self._intake.accept_many(
                [notices.canary_event(canary, channel, judged, action, details)],
                CANARIES,
                format="canary",
                original={"round": judged.incident_id},
            )
            said.append(f"{canary.canary_id}/{channel.value}")
        if newly:
            self._tell(*notices.failing(canary, judged, newly, details))
        if again:
            self._tell(*notices.delivering_again(canary, judged, again, details))
        # Lost to a concurrent tick: it saved the same channels.
        self._rounds.save_state(canary.canary_id, broken, state.version)

    def _tell(self, subject: str, message: str) -> None:
        """A TransientError leaves the state unsaved: the next judged round tells again."""
        if self._operations is not None:
            self._operations.tell(subject[:100], message)
