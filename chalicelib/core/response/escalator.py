"""The response to an open incident: escalation level by level, acknowledgements, declines and
resolution, each recorded on the timeline with who, how and when.

Every change to an incident's :class:`ResponseState` is a conditional write on its version, so
two ticks, or a tick racing an acknowledgement, never page a level twice. Paging queues the
level's jobs *before* moving the state on: if the invocation dies in between, the next tick
pages the same step again and the send ledger drops what was already sent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

from chalicelib.core.errors import TransientError
from chalicelib.core.fields import describe_duration
from chalicelib.core.messaging.planning import Gap, gap_entries, plan_person
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    Contact,
    Incident,
    IncidentStatus,
    NotificationJob,
    Stop,
    TimelineEntry,
)
from chalicelib.core.oncall.shifts import OverrideSource, on_call
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.escalations import EscalationPolicy
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.telemetry import ESCALATIONS_EXHAUSTED, ESCALATIONS_FIRED, NO_METER, Meter

TICK_BATCH = 100


@dataclass
class TickReport:
    escalated: int = 0  # incidents whose state moved on (a level paged, or exhausted)
    incidents: list[str] = field(default_factory=list)  # their ids
    jobs: int = 0
    failed: list[str] = field(default_factory=list)  # incident ids to retry at the next tick


@dataclass(frozen=True)
class LevelPlan:
    jobs: tuple[NotificationJob, ...]
    paged: tuple[str, ...]  # everyone the level reaches, including those already notified
    gaps: tuple[Gap, ...]


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
        """Page the next level of every incident whose deadline has passed. One incident that
        fails (DynamoDB throttling, say) does not hold up the others; the next tick retries it."""
        report = TickReport()
        for incident_id in self._incidents.due(self._clock.now(), TICK_BATCH):
            try:
                incident = self._incidents.get(incident_id)
                queued = self.advance(incident) if incident is not None else -1
            except TransientError:
                report.failed.append(incident_id)
                continue
            if queued >= 0:
                report.escalated += 1
                report.incidents.append(incident_id)
            report.jobs += max(queued, 0)
        return report

    def advance(self, incident: Incident, notified: Collection[tuple[str, str]] = ()) -> int:
        """Page the incident's next level with someone reachable, if a step is due.

        ``notified``: (contact, channel) pairs the plan has just reached, not sent again.
        Returns the jobs queued, or -1 when nothing was due or someone else moved it first.
        """
        state = incident.response
        now = self._clock.now()
        first = state.step < 0 and state.stopped is None  # the first level is due on opening
        if incident.status is not IncidentStatus.OPEN or not (first or state.is_due(now)):
            return -1
        playbook = self._playbooks.load_version(incident.playbook_version)
        policy = playbook.escalations.get(state.policy_id or "")
        if policy is None:
            return -1
        entries: list[TimelineEntry] = []
        gaps: list[TimelineEntry] = []
        step = state.step + 1
        level = LevelPlan((), (), ())
        while step < policy.steps:
            level = self._plan_level(incident, playbook, policy, step, notified)
            gaps += gap_entries(now, level.gaps, step)
            if level.paged:
                break
            entries.append(
                TimelineEntry(
                    at=now,
                    kind="escalation_skipped",
                    summary=f"{policy.describe_step(step)} skipped: nobody reachable",
                    data={"step": step, "policy_id": policy.policy_id},
                    key=f"escalation-skip-{step}",
                )
            )
            step += 1
        if step >= policy.steps:
            new = replace(
                state,
                step=step,
                due_at=None,
                paged=(),
                stopped=Stop.EXHAUSTED,
                version=state.version + 1,
            )
            entries.append(
                TimelineEntry(
                    at=now,
                    kind="escalation_exhausted",
                    summary=f"escalation exhausted: nobody acknowledged after all "
                    f"{policy.steps} steps of {policy.policy_id}",
                    data={"policy_id": policy.policy_id, "steps": policy.steps},
                    key="escalation-exhausted",
                )
            )
        else:
            rules = policy.level(step)
            new = replace(
                state,
                step=step,
                due_at=now + rules.timeout,
                paged=level.paged,
                declined_by=(),
                version=state.version + 1,
            )
            needed = f"; {rules.quorum} must acknowledge" if rules.quorum > 1 else ""
            entries.append(
                TimelineEntry(
                    at=now,
                    kind="paged" if state.step < 0 else "escalated",
                    summary=f"{policy.describe_step(step)}: paging {', '.join(level.paged)}; "
                    f"acknowledgement expected within {describe_duration(rules.timeout)}" + needed,
                    data={
                        "step": step,
                        "policy_id": policy.policy_id,
                        "paged": list(level.paged),
                        "jobs": len(level.jobs),
                        "due_at": new.due_at.isoformat() if new.due_at else None,
                    },
                    key=f"escalation-{step}",
                )
            )
        if level.jobs and step < policy.steps:
            self._dispatch.put_jobs(list(level.jobs))
        if not self._incidents.save_response(incident.incident_id, state.version, new, entries):
            return -1
        if step >= policy.steps:
            self._meter.record(ESCALATIONS_EXHAUSTED)
        elif state.step >= 0:  # a level after the first: nobody acknowledged in time
            self._meter.record(ESCALATIONS_FIRED)
        if gaps:
            self._incidents.append(incident.incident_id, gaps)
        return len(level.jobs) if step < policy.steps else 0

    def _plan_level(
        self,
        incident: Incident,
        playbook: Playbook,
        policy: EscalationPolicy,
        step: int,
        notified: Collection[tuple[str, str]],
    ) -> LevelPlan:
        level = policy.level(step)
        now = self._clock.now()
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
        group = policy.describe_step(step)
        jobs: dict[tuple[str, str], NotificationJob] = {}
        for contact in sorted(people.values(), key=lambda c: c.contact_id):
            plan_person(
                incident.incident_id,
                group,
                level.channels,
                level.chain,
                contact,
                step + 1,
                jobs,
                gaps,
            )
        reached = {contact_id for contact_id, _ in jobs}
        already = {contact_id for contact_id, _ in notified if contact_id in people}
        fresh = tuple(job for key, job in jobs.items() if key not in notified)
        return LevelPlan(fresh, tuple(sorted(reached | already)), tuple(gaps))
