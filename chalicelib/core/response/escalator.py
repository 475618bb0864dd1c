"""Escalation level by level: the shell around :func:`next_step` (which decides) that reads who
each level reaches, queues the jobs and stores the new state.

Every change to an incident's :class:`ResponseState` is a conditional write on its version, so
two ticks, or a tick racing an acknowledgement, never page a level twice. Paging queues the
level's jobs *before* moving the state on: if the invocation dies in between, the next tick
pages the same step again and the send ledger drops what was already sent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from chalicelib.core.checkpoints import PAGING_QUEUED, checkpoint
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.messaging.planning import Gap, on_roster
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import Contact, Incident, IncidentStatus, TimelineEntry
from chalicelib.core.oncall.shifts import OverrideSource, on_call
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.escalations import EscalationLevel
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.next_step import (
    NOTHING_DUE,
    NextStep,
    Roster,
    StepOutcome,
    is_due,
    next_step,
)
from chalicelib.core.telemetry import ESCALATIONS_EXHAUSTED, ESCALATIONS_FIRED, NO_METER, Meter

TICK_BATCH = 100


@dataclass
class TickReport:
    escalated: int = 0  # incidents whose state moved on (a level paged, or exhausted)
    incidents: list[str] = field(default_factory=list)  # their ids
    jobs: int = 0
    failed: list[str] = field(default_factory=list)  # incident ids to retry at the next tick
    reasons: dict[str, str] = field(default_factory=dict)  # incident id: what went wrong


class Escalator:
    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        overrides: OverrideSource,
        dispatch: DispatchQueue,
        clock: Clock,
        meter: Meter = NO_METER,
    ) -> None:
        self._meter = meter
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._overrides = overrides
        self._dispatch = dispatch
        self._clock = clock

    def tick(self) -> TickReport:
        """Page the next level of every incident whose deadline has passed. Each incident's
        step is isolated: one that fails, whatever the reason (DynamoDB throttling, an item
        that cannot be read, a bug), is reported with why and retried at the next tick, and
        the others proceed. Before, one unreadable incident at the head of the due list made
        every tick fail, and nobody after it was ever escalated."""
        report = TickReport()
        for incident_id in self._incidents.due(self._clock.now(), TICK_BATCH):
            try:
                incident = self._incidents.get(incident_id)
                step = self.advance(incident) if incident is not None else NOTHING_DUE
            except Exception as error:  # the isolation boundary of one incident
                report.failed.append(incident_id)
                report.reasons[incident_id] = f"{type(error).__name__}: {error}"
                continue
            if step.moved:
                report.escalated += 1
                report.incidents.append(incident_id)
                report.jobs += len(step.jobs)
        return report

    def advance(self, incident: Incident, notified: Collection[tuple[str, str]] = ()) -> NextStep:
        """Page the incident's next level with someone reachable, if a step is due.

        ``notified``: (contact, channel) pairs the plan has just reached, not sent again.
        The jobs are queued before the state is stored: if the write loses (LOST_RACE), the
        dispatcher drops them once someone acknowledged, and the ledger sends nothing twice.
        """
        now = self._clock.now()
        if not is_due(incident, now):
            return NOTHING_DUE
        playbook = self._playbooks.load_version(incident.playbook_version)
        policy = playbook.escalation(incident.response.policy_id)
        if policy is None:
            return NOTHING_DUE
        levels = policy.levels
        rosters = _Rosters(
            lambda index: self.level_roster(playbook, levels[index], now, incident), len(levels)
        )
        step = next_step(incident, policy, now, rosters, notified)
        if step.state is None:
            return step
        if step.jobs:
            self._dispatch.put_jobs(list(step.jobs))
            checkpoint(PAGING_QUEUED)
        seen = incident.response.version
        if not self._incidents.save_response(incident.incident_id, seen, step.state, step.entries):
            return NextStep(StepOutcome.LOST_RACE, step.step)
        if step.outcome is StepOutcome.EXHAUSTED:
            self._meter.record(ESCALATIONS_EXHAUSTED)
        elif incident.response.step >= 0:  # a level after the first: nobody acknowledged in time
            self._meter.record(ESCALATIONS_FIRED)
        if step.gaps:
            self._incidents.append(incident.incident_id, step.gaps)
        return step

    def escalate_now(self, incident_id: str, who: Answerer) -> NextStep:
        """A person pages the next level now instead of waiting for its deadline (the console's
        "escalate now"); the timeline says who asked. Refused (409) when the incident is not
        open, has no policy, or its escalation stopped (acknowledged or exhausted)."""
        for _ in range(5):
            incident = self._incidents.get(incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id!r}")
            state = incident.response
            if incident.status is not IncidentStatus.OPEN:
                raise Conflict(f"incident {incident_id} is {incident.status.value}, not open")
            if state.policy_id is None:
                raise Conflict(f"incident {incident_id} has no escalation policy to escalate")
            if state.stopped is not None:
                raise Conflict(
                    f"the escalation of {incident_id} is {state.stopped.value}: nothing to page"
                )
            now = self._clock.now()
            step = self.advance(replace(incident, response=replace(state, due_at=now)))
            if step.outcome is StepOutcome.LOST_RACE:
                continue
            if not step.moved:
                raise Conflict(f"the escalation of {incident_id} has no next level")
            entry = TimelineEntry(
                at=now,
                kind="escalated_by_hand",
                summary=f"escalated now by {who.describe()} via {who.via}",
                data={"step": step.step, **who.document()},
                key=f"escalated-by-hand-{step.step}",
            )
            self._incidents.append(incident_id, [entry])
            return step
        raise TransientError(f"incident {incident_id} kept changing; try again")

    def level_roster(
        self, playbook: Playbook, level: EscalationLevel, now: datetime, incident: Incident
    ) -> Roster:
        """Who the level names right now: schedules resolved with their overrides, roles and
        teams from the directory, and the people it names by id; of a drill, those on its
        roster only (the others are gaps: "off the drill's roster")."""
        gaps: list[Gap] = []
        wanted = list(level.names("contact"))
        for name in level.names("schedule"):
            schedule = playbook.oncall[name]
            person, _ = on_call(schedule, self._overrides.overrides(name, now, now), now)
            if person is None:
                gaps.append(Gap(reason="nobody on call", role=f"schedule {name}"))
            else:
                wanted.append(person)
        people: dict[str, Contact] = {}
        if level.names("role") or level.names("team"):
            members = self._directory.members(level.names("role"), level.names("team"))
            people.update((contact.contact_id, contact) for contact in members)
        missing = sorted(set(wanted) - set(people))
        if missing:
            people.update(self._directory.get_contacts(missing))
        for contact_id in sorted(set(wanted) - set(people)):
            gaps.append(Gap(reason="no such contact", role="escalation", contact_id=contact_id))
        kept = on_roster(incident, people.values())
        for contact_id in sorted(set(people) - {contact.contact_id for contact in kept}):
            gaps.append(Gap("off the drill's roster", role="escalation", contact_id=contact_id))
        return Roster(tuple(kept), tuple(gaps))


class _Rosters(Mapping[int, Roster]):
    """The rosters of a policy's levels, each read the first time the decision asks for it."""

    def __init__(self, read: Callable[[int], Roster], levels: int) -> None:
        self._read = read
        self._levels = levels
        self._read_already: dict[int, Roster] = {}

    def __getitem__(self, index: int) -> Roster:
        if not 0 <= index < self._levels:
            raise KeyError(index)
        if index not in self._read_already:
            self._read_already[index] = self._read(index)
        return self._read_already[index]

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._levels))

    def __len__(self) -> int:
        return self._levels
