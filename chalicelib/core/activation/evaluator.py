"""Decide on one received event: open, update, resolve or suppress, then plan who to reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core.activation.decide import admit, match
from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.activation.ports import EventStore
from chalicelib.core.activation.reassess import Reassessor
from chalicelib.core.checkpoints import INCIDENT_OPENED, checkpoint
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import TransientError
from chalicelib.core.ids import incident_id_for_event
from chalicelib.core.model import (
    Action,
    DecisionOutcome,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    ResponseState,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, IncidentStore, OpenOutcome
from chalicelib.core.response.ports import ReachedLedger
from chalicelib.core.telemetry import EVENTS_DECIDED, NO_METER, Meter
from chalicelib.core.verdicts import Verdict

if TYPE_CHECKING:
    from chalicelib.core.response.answers import Responses

_DECIDE_ATTEMPTS = 5


@dataclass(frozen=True)
class Decision:
    outcome: DecisionOutcome
    reason: str
    incident_id: str | None = None
    notifications: int = 0


class Evaluator:
    """Safe to run twice on the same event: every step is conditional or idempotent."""

    def __init__(
        self,
        events: EventStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        notifier: Notifier,
        clock: Clock,
        responses: Responses | None = None,
        meter: Meter = NO_METER,
        reached: ReachedLedger | None = None,
    ) -> None:
        self._meter = meter
        self._reassessor = Reassessor(incidents, notifier, reached, clock)
        self._events = events
        self._incidents = incidents
        self._playbooks = playbooks
        self._notifier = notifier
        self._clock = clock
        self._responses = responses

    def handle(self, received: ReceivedEvent, first_delivery: bool = False) -> Decision:
        """``first_delivery``: the message's first hand-out: its record says pending (copies
        decided at once are settled by the conditional writes), so it is not read."""
        fresh = first_delivery and not received.held  # held: its record says when to decide
        record = None if fresh else self._events.get(received.event_id)
        if record is not None and record.outcome is DecisionOutcome.ACTIVATED:
            # This event opened its incident, and the invocation may have died before queueing
            # the notifications: queue them again; the send ledger makes that harmless.
            assert record.incident_id is not None
            return self._notify(record.incident_id, record.reason or "")
        if (
            record is not None
            and record.outcome is DecisionOutcome.RESOLVED
            and record.incident_id
            and self._responses is not None
        ):
            # The same for the resolution notices: the ledger sends each once.
            self._responses.notify_resolved(record.incident_id)
        at = received.received_at
        if record is not None and record.outcome is DecisionOutcome.HELD:
            if record.decide_at is None or record.decide_at > self._clock.now():
                return Decision(record.outcome, record.reason or "", record.incident_id)
            at = record.decide_at  # its window opened: decided as then
        elif record is not None and record.outcome not in (
            DecisionOutcome.PENDING,
            DecisionOutcome.FAILED,  # redriven after a fix: decide it now
        ):
            return Decision(record.outcome, record.reason or "", record.incident_id)
        action = received.event.action
        if action is Action.TRIGGER:
            return self._trigger(received, at)
        return self._follow_up(received)

    def give_up(self, event_id: str, why: str) -> bool:
        """The event could not be decided, however often it was tried (its queue message goes
        to the dead-letter queue): say so, with why, rather than leave it ``pending`` for ever.
        Redriven, it is decided again (and counted again). False when it was decided meanwhile."""
        failed = DecisionOutcome.FAILED
        reason = f"not decided: {why}"
        if not self._events.record_decision(
            event_id, failed, "undecidable", reason, self._clock.now()
        ):
            return False
        self._meter.record(EVENTS_DECIDED, by=failed.value)
        return True

    def _trigger(self, received: ReceivedEvent, at: datetime) -> Decision:
        playbook = self._playbooks.load()
        for _ in range(_DECIDE_ATTEMPTS):
            verdict = match(received.event, playbook, at)
            rule = playbook.rule(verdict.rule_id) if verdict.activate and verdict.rule_id else None
            snapshot = None
            # An open incident for the key takes the event, whatever the rule's windows say.
            if (
                rule is not None
                and rule.uses_history
                and self._incidents.find_open(received.scoped_dedup_key) is None
            ):
                snapshot = self._incidents.history(
                    rule.rule_id, received.scoped_dedup_key, rule.history_span
                )
                verdict = admit(verdict, rule, snapshot.history, at)
            if not verdict.activate and verdict.decide_at is not None:
                return self._hold(received, verdict, verdict.decide_at)
            if not verdict.activate:
                return self._hold_back(received, verdict)
            incident = self._new_incident(received, verdict, playbook)
            result = self._incidents.open(incident, received, verdict, snapshot)
            if result.outcome is OpenOutcome.CONTENDED:
                continue
            if result.outcome is OpenOutcome.JOINED:
                counted = self._incidents.join(result.incident_id, received, self._clock.now())
                raised = self._reassessor.consider(
                    result.incident_id, received, verdict, playbook, redelivered=not counted
                )
                if raised is not None:
                    return self._decide(
                        received,
                        DecisionOutcome.UPDATED,
                        "reassessed",
                        f"raised open incident {result.incident_id}: {raised.summary}",
                        result.incident_id,
                    )
                return self._decide(
                    received,
                    DecisionOutcome.UPDATED,
                    "duplicate",
                    f"duplicate of open incident {result.incident_id}",
                    result.incident_id,
                )
            # Opened now: the incident is as built here. Redelivered: read it back, since the
            # first delivery may have opened it under an earlier playbook version.
            opened = incident if result.outcome is OpenOutcome.OPENED else None
            checkpoint(INCIDENT_OPENED)
            if opened is not None:  # decided now, in the opening transaction
                self._meter.record(EVENTS_DECIDED, by=DecisionOutcome.ACTIVATED.value)
            return self._notify(result.incident_id, verdict.reason, opened)
        raise TransientError(
            f"event {received.event_id}: activation history kept changing; will retry"
        )

    def _hold(self, received: ReceivedEvent, verdict: Verdict, decide_at: datetime) -> Decision:
        """Outside its rule's hours: kept, and decided when the window opens (the tick)."""
        held = DecisionOutcome.HELD
        if self._events.hold(received, verdict.code, verdict.reason, self._clock.now(), decide_at):
            self._meter.record(EVENTS_DECIDED, by=held.value)
        return Decision(held, verdict.reason)

    def _hold_back(self, received: ReceivedEvent, verdict: Verdict) -> Decision:
        """Record why nothing opened; an earlier incident the event belongs with says so too."""
        if verdict.incident_id is not None:
            self._incidents.append(
                verdict.incident_id,
                [
                    TimelineEntry(
                        at=self._clock.now(),
                        kind="held_back",
                        summary=f"event from {received.event.source} held back: {verdict.reason}",
                        data={"event_id": received.event_id, "code": verdict.code},
                        key=f"held-{received.event_id}",
                    )
                ],
            )
        return self._decide(
            received, DecisionOutcome.SUPPRESSED, verdict.code, verdict.reason, verdict.incident_id
        )

    def _notify(self, incident_id: str, reason: str, known: Incident | None = None) -> Decision:
        jobs = self._notifier.notify(incident_id, known)
        return Decision(DecisionOutcome.ACTIVATED, reason, incident_id, jobs)

    def _follow_up(self, received: ReceivedEvent) -> Decision:
        """Acknowledge or resolve the open incident with the event's dedup key, in the
        sender's namespace: another sender's incident with the same key is not found."""
        incident_id = self._incidents.find_open(received.scoped_dedup_key)
        verb = received.event.action.value
        if incident_id is None and received.event.action is Action.RESOLVE:
            cancelled = self._cancel_holds(received)
            if cancelled:
                return self._decide(
                    received,
                    DecisionOutcome.SUPPRESSED,
                    "hold_cancelled",
                    f"cancelled held event(s) {', '.join(cancelled)}: resolved before the "
                    "window opened",
                )
        if incident_id is None:
            return self._decide(
                received,
                DecisionOutcome.SUPPRESSED,
                "no_open_incident",
                f"no open incident with dedup_key {received.dedup_key} to {verb}",
            )
        now = self._clock.now()
        if received.event.action is Action.RESOLVE:
            # The decision is written in the resolving transaction: a redelivery that finds
            # the incident already resolved sees the decided event and stops in handle().
            resolved = self._incidents.resolve(incident_id, received, now)
            if resolved:  # decided now, in the resolving transaction
                self._meter.record(EVENTS_DECIDED, by=DecisionOutcome.RESOLVED.value)
            if resolved and self._responses:
                self._responses.notify_resolved(incident_id)
            return Decision(
                DecisionOutcome.RESOLVED, f"resolved by {received.event.source}", incident_id
            )
        if self._responses is not None:
            # Recorded on the timeline, never counted: a tool answers for no person, and only
            # the people the escalation paged can stop it.
            self._responses.acknowledge(incident_id, Answerer.by_event(received.event.source))
        return self._decide(
            received,
            DecisionOutcome.ACKNOWLEDGED,
            verb,
            f"acknowledgement from {received.event.source} recorded; it does not stop the "
            "escalation (only the people paged can)",
            incident_id,
        )

    def _cancel_holds(self, received: ReceivedEvent) -> list[str]:
        """A resolve for the key of an event held outside hours: it is never decided."""
        cancelled = []
        for event_id in self._events.held_for(received.scoped_dedup_key):
            reason = f"resolved by {received.event.source} ({received.event_id}) while held"
            if self._events.record_decision(
                event_id, DecisionOutcome.SUPPRESSED, "hold_cancelled", reason, self._clock.now()
            ):
                self._meter.record(EVENTS_DECIDED, by=DecisionOutcome.SUPPRESSED.value)
                cancelled.append(event_id)
        return cancelled

    def _decide(
        self,
        received: ReceivedEvent,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        incident_id: str | None = None,
    ) -> Decision:
        if self._events.record_decision(
            received.event_id, outcome, code, reason, self._clock.now(), incident_id
        ):
            self._meter.record(EVENTS_DECIDED, by=outcome.value)
        return Decision(outcome, reason, incident_id)

    def _new_incident(self, received: ReceivedEvent, verdict: Verdict, book: Playbook) -> Incident:
        event, now = received.event, self._clock.now()
        assert verdict.rule_id is not None and verdict.plan_id is not None
        plan = book.plans.get(verdict.plan_id)
        gate = plan.gate(by_hand=False) if plan else None
        # At the gate nothing is due but its timeout; approving pages the first level at once.
        deadline = now + gate.timeout if gate is not None and gate.timeout else None
        return Incident(
            incident_id=incident_id_for_event(received.event_id),
            status=IncidentStatus.AWAITING_APPROVAL if gate else IncidentStatus.OPEN,
            title=event.summary,
            type=event.type,
            severity=verdict.severity or event.severity,
            event_status=event.status,
            dedup_key=received.dedup_key,
            dedup_namespace=received.namespace,
            rule_id=verdict.rule_id,
            plan_id=verdict.plan_id,
            opened_at=now,
            updated_at=now,
            playbook_version=book.version,
            response=ResponseState(plan.escalation, due_at=deadline)
            if plan and gate
            else ResponseState.starting(plan.escalation if plan else None, now),
            expires_at=book.retention.incident_expiry(now),
            links=event.links,
        )
