"""Answers to an incident: acknowledge, decline and resolve, by link, SMS reply, API or CLI, each
recorded on the timeline with who, how and when.

Every change to an incident's :class:`ResponseState` is a conditional write on its version, so an
answer racing an escalation tick or another answer is retried on the state it lost to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.core.errors import Conflict, Forbidden, NotFound, TransientError
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
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.response.ports import ReachedLedger
from chalicelib.core.response.state import quorum, with_acknowledgement, with_decline
from chalicelib.core.wording.phrases import say

_ATTEMPTS = 5


@dataclass(frozen=True)
class Answer:
    """What happened; ``say`` puts it in words for the person (page, SMS reply, API, CLI)."""

    outcome: str  # acknowledged, counted, already, already_declined, declined, resolved
    incident: Incident
    have: int = 0  # acknowledgements so far, and needed (counted: the quorum is not reached)
    needed: int = 0
    escalating: bool = False  # declined: the next level is paged now
    people: int = 0  # resolved: people told

    @property
    def message(self) -> str:
        return self.say("en")

    def say(self, language: str) -> str:
        title = self.incident.title
        if self.outcome == "counted":
            return (
                say(language, "acknowledged", title=title)
                + " "
                + say(language, "progress", have=self.have, needed=self.needed)
            )
        if self.outcome == "declined":
            text = say(language, "declined")
            return text + (" " + say(language, "escalating") if self.escalating else "")
        if self.outcome == "resolved":
            return say(language, "resolved", title=title, people=self.people)
        return say(language, self.outcome, title=title)


@dataclass(frozen=True)
class StateChange:
    """What an answer changes: the new response state, the entry that says so, and the
    answer to give once the state is stored."""

    state: ResponseState
    entry: TimelineEntry
    answer: Answer


def acknowledgement(
    incident: Incident,
    contact_id: str,
    via: str,
    policy: EscalationPolicy | None,
    now: datetime,
) -> Answer | StateChange:
    """A person paged acknowledges: escalation stops once the level's quorum has."""
    state = incident.response
    if contact_id in state.acknowledged_by:
        return Answer("already", incident)
    new = with_acknowledgement(state, contact_id, policy)
    needed, have = quorum(policy, state), len(new.acknowledged_by)
    stopped = new.stopped is Stop.ACKNOWLEDGED and state.stopped is None
    progress = f" ({have} of {needed} needed)" if have < needed else ""
    summary = f"acknowledged by {contact_id} via {via}" + progress
    if stopped and state.policy_id:
        summary += "; escalation stopped"
    entry = TimelineEntry(
        at=now,
        kind="acknowledged",
        summary=summary,
        data={"contact_id": contact_id, "via": via, "have": have, "needed": needed},
        key=f"ack-{contact_id}",
    )
    outcome = "acknowledged" if have >= needed else "counted"
    return StateChange(new, entry, Answer(outcome, replace(incident, response=new), have, needed))


def acknowledgement_by_tool(
    incident: Incident, source: str, via: str, now: datetime
) -> StateChange:
    """A tool or a service key acknowledges (not a person): escalation stops."""
    state = incident.response
    new = replace(
        state,
        stopped=state.stopped or Stop.ACKNOWLEDGED,
        due_at=None,
        version=state.version + 1,
    )
    entry = TimelineEntry(
        at=now,
        kind="acknowledged",
        summary=f"acknowledged by {source} via {via}"
        + ("; escalation stopped" if state.stopped is None and state.policy_id else ""),
        data={"source": source, "via": via},
        key=f"ack-{source}",
    )
    return StateChange(new, entry, Answer("acknowledged", replace(incident, response=new)))


def decline_by(
    incident: Incident, contact_id: str, via: str, now: datetime
) -> Answer | StateChange:
    """ "I can't respond": when everyone paged at this level says so, the next is due now."""
    state = incident.response
    if contact_id in state.declined_by:
        return Answer("already_declined", incident)
    new = with_decline(state, contact_id, now)
    entry = TimelineEntry(
        at=now,
        kind="declined",
        summary=f"{contact_id} can't respond (via {via})",
        data={"contact_id": contact_id, "via": via},
        key=f"decline-{contact_id}-{state.step}",
    )
    escalating = new.is_due(now) and not state.is_due(now)
    answer = Answer("declined", replace(incident, response=new), escalating=escalating)
    return StateChange(new, entry, answer)


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
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._registry = registry
        self._ledger = ledger
        self._dispatch = dispatch
        self._escalator = escalator
        self._clock = clock

    def incident(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id!r}")
        return incident

    def acknowledge(self, incident_id: str, contact_id: str, via: str) -> Answer:
        def decide(incident: Incident) -> Answer | StateChange:
            self._require_paged(incident, contact_id)
            policy = self._policy(incident)
            return acknowledgement(incident, contact_id, via, policy, self._clock.now())

        return self._answer(incident_id, decide)

    def acknowledge_for(self, incident_id: str, source: str, via: str) -> Answer:
        """A tool or a service key acknowledges (not a person): escalation stops."""
        return self._answer(
            incident_id,
            lambda incident: acknowledgement_by_tool(incident, source, via, self._clock.now()),
        )

    def decline(self, incident_id: str, contact_id: str, via: str) -> Answer:
        """ "I can't respond": when everyone paged at this level says so, escalate at once."""

        def decide(incident: Incident) -> Answer | StateChange:
            self._require_paged(incident, contact_id)
            return decline_by(incident, contact_id, via, self._clock.now())

        answer = self._answer(incident_id, decide)
        if answer.escalating:
            self._escalator.advance(answer.incident)
        return answer

    def _answer(
        self, incident_id: str, decide: Callable[[Incident], Answer | StateChange]
    ) -> Answer:
        """Decide on the open incident as read, and store the change conditional on the
        version read; an answer that lost to a tick or another answer decides again."""
        for _ in range(_ATTEMPTS):
            incident = self._open(incident_id)
            decided = decide(incident)
            if isinstance(decided, Answer):
                return decided
            seen = incident.response.version
            if self._incidents.save_response(incident_id, seen, decided.state, [decided.entry]):
                return decided.answer
        raise TransientError(f"incident {incident_id} kept changing; try again")

    def resolve(self, incident_id: str, by: str, via: str) -> Answer:
        incident = self._open(incident_id)
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="resolved",
            summary=f"resolved by {by} via {via}",
            data={"by": by, "via": via},
            key="resolved-by-hand",
        )
        if not self._incidents.close(incident, entry):
            raise Conflict(f"incident {incident_id} was resolved meanwhile")
        sent = self.notify_resolved(incident_id)
        return Answer("resolved", replace(incident, status=IncidentStatus.RESOLVED), people=sent)

    def notify_resolved(self, incident_id: str) -> int:
        """Tell everyone an alert reached that it is over, on the channels that reached them
        (a text instead of a call: nobody needs waking to hear it is over). Idempotent."""
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

    def _open(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id!r}")
        if incident.status is not IncidentStatus.OPEN:
            raise Conflict(f"incident {incident_id} is {incident.status.value}, not open")
        return incident

    def _require_paged(self, incident: Incident, contact_id: str) -> None:
        if self._registry.find(incident.incident_id, contact_id) is None:
            raise Forbidden(
                f"{contact_id} was not paged for incident {incident.incident_id}; "
                "only people it paged can answer for it"
            )

    def _policy(self, incident: Incident) -> EscalationPolicy | None:
        state: ResponseState = incident.response
        if state.policy_id is None:
            return None
        playbook = self._playbooks.load_version(incident.playbook_version)
        return playbook.escalations.get(state.policy_id)
