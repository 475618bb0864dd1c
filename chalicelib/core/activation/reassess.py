"""Reassess an open incident when a worse event joins it.

An event that joins an open incident raises it when its severity is higher, or when it matched a
rule earlier in the playbook's order than the incident's (500 affected people, then 50,000). The
higher rule's plan then applies: the people it adds are reached (never anyone an alert reached
already, per the send ledger), its escalation policy takes over, and the timeline says why. A
lower severity, or a later rule, changes nothing and pages nobody.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.errors import TransientError
from chalicelib.core.model import (
    Incident,
    IncidentStatus,
    ReceivedEvent,
    ResponseState,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.ports import Clock, IncidentStore
from chalicelib.core.response.ports import ReachedLedger
from chalicelib.core.verdicts import Verdict

_ATTEMPTS = 5
REASSESSED = "reassessed"


def rise(
    incident: Incident, received: ReceivedEvent, verdict: Verdict, playbook: Playbook, at: datetime
) -> tuple[Incident, TimelineEntry] | None:
    """The incident as the joining event leaves it, with the entry saying why; None when the
    event is no worse. Pure."""
    if incident.status is not IncidentStatus.OPEN or verdict.rule_id is None:
        return None
    order = [rule.rule_id for rule in playbook.rules]
    severity = verdict.severity or received.event.severity
    higher_rule = (
        verdict.plan_id is not None
        and incident.rule_id in order
        and verdict.rule_id in order
        and order.index(verdict.rule_id) < order.index(incident.rule_id)
    )
    if not higher_rule and severity.rank <= incident.severity.rank:
        return None
    raised = replace(
        incident, severity=max(severity, incident.severity, key=lambda s: s.rank), updated_at=at
    )
    why = [f"severity {incident.severity.value} -> {raised.severity.value}"]
    if higher_rule:
        assert verdict.plan_id is not None
        policy = playbook.plan(verdict.plan_id).escalation
        raised = replace(
            raised,
            rule_id=verdict.rule_id,
            plan_id=verdict.plan_id,
            playbook_version=playbook.version,
            response=_switched(incident.response, policy, at),
        )
        why.append(
            f"rule {verdict.rule_id} (before {incident.rule_id}) applies plan {verdict.plan_id}"
        )
    entry = TimelineEntry(
        at=at,
        kind=REASSESSED,
        summary=f"reassessed on event from {received.event.source}: " + "; ".join(why),
        data={
            "event_id": received.event_id,
            "from": _facts(incident),
            "to": _facts(raised),
        },
        key=f"{REASSESSED}-{received.event_id}",
    )
    return raised, entry


def _switched(state: ResponseState, policy: str | None, at: datetime) -> ResponseState:
    """The higher plan's escalation policy takes over where the current one stands (its first
    level due at once when the incident had none); a plan without one leaves it running."""
    if policy is None or policy == state.policy_id:
        return state
    if state.policy_id is None:
        return replace(ResponseState.starting(policy, at), version=state.version + 1)
    return replace(state, policy_id=policy, version=state.version + 1)


def _facts(incident: Incident) -> dict[str, str]:
    return {
        "severity": incident.severity.value,
        "rule_id": incident.rule_id,
        "plan_id": incident.plan_id,
        "policy_id": incident.response.policy_id or "",
    }


class Reassessor:
    """Safe to repeat: the write is conditional on the incident as read, its entry is keyed
    by the event, and the ledger sends nobody the same alert twice."""

    def __init__(
        self,
        incidents: IncidentStore,
        notifier: Notifier,
        reached: ReachedLedger | None,
        clock: Clock,
    ) -> None:
        self._incidents = incidents
        self._notifier = notifier
        self._reached = reached
        self._clock = clock

    def consider(
        self,
        incident_id: str,
        received: ReceivedEvent,
        verdict: Verdict,
        playbook: Playbook,
        redelivered: bool = False,
    ) -> TimelineEntry | None:
        """The entry when this event raised the incident: now, or (``redelivered``, the join
        counted before) on an earlier delivery that may have died before reaching the people
        the higher plan adds, who are reached now."""
        for _ in range(_ATTEMPTS):
            incident = self._incidents.get(incident_id)
            if incident is None:
                return None
            raised = rise(incident, received, verdict, playbook, self._clock.now())
            if raised is None:
                return self._raised_before(incident, received, redelivered)
            after, entry = raised
            if self._incidents.reassess(incident, after, entry):
                self._reach(after)
                return entry
        raise TransientError(f"incident {incident_id} kept changing while reassessed; will retry")

    def _raised_before(
        self, incident: Incident, received: ReceivedEvent, redelivered: bool
    ) -> TimelineEntry | None:
        if not redelivered or incident.status is not IncidentStatus.OPEN:
            return None
        for entry in self._incidents.timeline(incident.incident_id):
            if entry.kind == REASSESSED and entry.data.get("event_id") == received.event_id:
                self._reach(incident)
                return entry
        return None

    def _reach(self, incident: Incident) -> None:
        reached = self._reached.reached(incident.incident_id) if self._reached else []
        self._notifier.top_up(incident, {(c, channel.value) for c, channel in reached})
