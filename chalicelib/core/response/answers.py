"""Answers to an incident: acknowledge, decline and resolve, by link, SMS reply, API or CLI, each
recorded on the timeline with who, with what credential, how and when.

Who answers comes from the edge as an :class:`~chalicelib.core.credentials.Answerer`. An answer
counts only when its credential is the person's own and a level of the escalation has paged them
(:func:`~chalicelib.core.response.state.why_not_counted`); any other is recorded and changes
nothing. Every change to an incident's :class:`ResponseState` is a conditional write on its
version, so an answer racing an escalation tick or another answer is retried on the state it
lost to; an answer that does not count writes only its entry, so it can never hold up a tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.messaging.passes import ResponderRegistry
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    ResponseState,
    Stop,
    TimelineEntry,
)
from chalicelib.core.playbook.escalations import EscalationPolicy
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, IncidentStore
from chalicelib.core.response.decisions import (
    Answer,
    Noted,
    StateChange,
    acknowledgement,
    decline_by,
)
from chalicelib.core.response.duties import progress
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.response.ports import ClosingStatements, GateAnswers, ReachedLedger
from chalicelib.core.response.standing import Standing, standing, standing_document
from chalicelib.core.spend.cost import incident_cost
from chalicelib.core.spend.holds import HoldDesk
from chalicelib.core.summaries import incident_detail_document
from chalicelib.core.telemetry import NO_METER, TIME_TO_ACKNOWLEDGE, Meter

_ATTEMPTS = 5


# An acknowledgement or a decline, decided on the incident as read (decisions.py).
Decider = Callable[
    [Incident, Answerer, EscalationPolicy | None, bool, datetime], Answer | StateChange | Noted
]


class Responses:
    """Acknowledge, decline and resolve, by link, SMS reply, API or CLI."""

    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        registry: ResponderRegistry,
        ledger: ReachedLedger,
        dispatch: DispatchQueue,
        escalator: Escalator,
        clock: Clock,
        holds: HoldDesk | None = None,
        meter: Meter = NO_METER,
        gate: GateAnswers | None = None,
        closing: ClosingStatements | None = None,
    ) -> None:
        self._meter = meter
        self._incidents = incidents
        self._playbooks = playbooks
        self._registry = registry
        self._ledger = ledger
        self._dispatch = dispatch
        self._escalator = escalator
        self._clock = clock
        self._holds = holds
        self._gate = gate
        self._closing = closing

    def incident(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id!r}")
        return incident

    def standing(
        self, incident: Incident, timeline: Sequence[TimelineEntry] | None = None
    ) -> Standing:
        """Who each level paged, who acknowledged, and what was recorded without counting
        (``timeline``: the incident's, when the caller has read it already)."""
        if timeline is None:
            timeline = self._incidents.timeline(incident.incident_id)
        return standing(incident, self._policy(incident), timeline)

    def document(
        self, incident: Incident, timeline: Sequence[TimelineEntry] | None = None
    ) -> dict[str, Any]:
        """The incident in full, as ``GET /v1/incidents/{id}`` and ``tocsin incidents show
        --json`` give it: its fields and timeline, what its messages cost, and where its
        answers stand."""
        if timeline is None:
            timeline = self._incidents.timeline(incident.incident_id)
        prices = self._playbooks.load().spending.prices
        try:
            playbook = self._playbooks.load_version(incident.playbook_version)
        except NotFound:  # opened before playbooks were versioned: no checklists to show
            checklists: dict[str, Any] = {}
        else:
            plans = playbook.plans
            roles = plans[incident.plan_id].roles if incident.plan_id in plans else ()
            checklists = progress(playbook.checklist, roles, timeline)
        return {
            **incident_detail_document(incident, timeline),
            "cost": incident_cost(timeline).to_document(prices.source),
            **standing_document(self.standing(incident, timeline)),
            "checklists": checklists,
        }

    def acknowledge(self, incident_id: str, answerer: Answerer) -> Answer:
        """Counted when the credential is the person's own and a level paged them; else
        recorded with who made it (:mod:`chalicelib.core.response.state`). At the gate, an
        approver's acknowledgement approves the activation."""
        waiting = self._at_gate(incident_id)
        if waiting is not None and self._gate is not None:
            self._gate.approve(incident_id, answerer)
            return Answer("gate_approved", waiting)
        return self._answer(incident_id, answerer, acknowledgement)

    def decline(self, incident_id: str, answerer: Answerer) -> Answer:
        """ "I can't respond": when everyone paged at this level says so, escalate at once.
        At the gate, an approver's decline rejects the activation."""
        waiting = self._at_gate(incident_id)
        if waiting is not None and self._gate is not None:
            self._gate.reject(incident_id, answerer, f"declined by {answerer.via}")
            return Answer("gate_rejected", waiting)
        answer = self._answer(incident_id, answerer, decline_by)
        if answer.escalating:
            self._escalator.advance(answer.incident)
        return answer

    def _answer(self, incident_id: str, answerer: Answerer, decide: Decider) -> Answer:
        """Decide on the open incident as read, and store the change conditional on the
        version read; an answer that lost to a tick or another answer decides again. An
        answer that does not count changes no state: its entry is only appended."""
        alerted: bool | None = None  # an alert reached them: read once the incident is found
        for _ in range(_ATTEMPTS):
            incident = self._open(incident_id)
            if alerted is None:
                contact_id = answerer.contact_id
                alerted = bool(
                    contact_id
                    and answerer.person_bound
                    and self._registry.find(incident_id, contact_id) is not None
                )
            now = self._clock.now()
            decided = decide(incident, answerer, self._policy(incident), alerted, now)
            if isinstance(decided, Answer):
                return decided
            if isinstance(decided, Noted):
                self._incidents.append(incident_id, [decided.entry])
                return decided.answer
            seen = incident.response.version
            if self._incidents.save_response(incident_id, seen, decided.state, [decided.entry]):
                if decided.state.stopped is Stop.ACKNOWLEDGED and incident.response.stopped is None:
                    self._acknowledged(incident, decided.entry.at)
                return decided.answer
        raise TransientError(f"incident {incident_id} kept changing; try again")

    def resolve(self, incident_id: str, answerer: Answerer) -> Answer:
        """Close the incident and tell everyone an alert reached. Any credential with the
        right may resolve; the timeline says whose it was, and for whom."""
        incident = self._open(incident_id)
        who = answerer.describe()
        named = answerer.contact_id
        behalf = f" for {named}" if named and named != who else ""
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="resolved",
            summary=f"resolved by {who}{behalf} via {answerer.via}",
            data=answerer.document(),
            key="resolved-by-hand",
        )
        if not self._incidents.close(incident, entry):
            raise Conflict(f"incident {incident_id} was resolved meanwhile")
        sent = self.notify_resolved(incident_id)
        return Answer("resolved", replace(incident, status=IncidentStatus.RESOLVED), people=sent)

    def notify_resolved(self, incident_id: str) -> int:
        """Tell everyone an alert reached that it is over, on the channels that reached them
        (a text instead of a call: nobody needs waking to hear it is over), and cancel what the
        incident still holds past the budget; draft the closing statements. Idempotent."""
        if self._holds is not None:
            self._holds.cancel_for_resolution(incident_id)
        if self._closing is not None:
            self._closing.draft_closing(incident_id)
        reached = self._ledger.reached(incident_id)
        pairs: dict[tuple[str, Channel], None] = {}
        for contact_id, channel in reached:
            pairs[(contact_id, Channel.SMS if channel is Channel.VOICE else channel)] = None
        jobs = [
            NotificationJob(incident_id, contact_id, channel, notice=Notice.RESOLVED)
            for contact_id, channel in pairs
        ]
        people = {contact_id for contact_id, _ in pairs if contact_id != STAKEHOLDERS}
        if jobs:
            self._dispatch.put_jobs(jobs)
        self._incidents.append(
            incident_id,
            [
                TimelineEntry(
                    at=self._clock.now(),
                    kind="resolution_notices",
                    summary=f"resolution notices queued for {len(people)} people "
                    f"({len(jobs)} messages)",
                    data={"people": len(people), "messages": len(jobs)},
                    key="resolution-notices",
                )
            ],
        )
        return len(people)

    def _acknowledged(self, incident: Incident, at: datetime) -> None:
        """The acknowledgement that stopped the escalation (or, with none, the first one)."""
        seconds = (at - incident.opened_at).total_seconds()
        self._meter.record(TIME_TO_ACKNOWLEDGE, max(seconds, 0.0))

    def _at_gate(self, incident_id: str) -> Incident | None:
        incident = self._incidents.get(incident_id)
        if incident is not None and incident.status is IncidentStatus.AWAITING_APPROVAL:
            return incident
        return None

    def _open(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id!r}")
        if incident.status is not IncidentStatus.OPEN:
            raise Conflict(f"incident {incident_id} is {incident.status.value}, not open")
        return incident

    def _policy(self, incident: Incident) -> EscalationPolicy | None:
        state: ResponseState = incident.response
        if state.policy_id is None:
            return None
        playbook = self._playbooks.load_version(incident.playbook_version)
        return playbook.escalation(state.policy_id)
