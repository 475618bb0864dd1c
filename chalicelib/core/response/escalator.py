"""The response to an open incident: escalation level by level, acknowledgements, declines and
resolution, each recorded on the timeline with who, how and when.

Every change to an incident's :class:`ResponseState` is a conditional write on its version, so
two ticks, or a tick racing an acknowledgement, never page a level twice. Paging queues the
level's jobs *before* moving the state on: if the invocation dies in between, the next tick
pages the same step again and the send ledger drops what was already sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from chalicelib.core.errors import Conflict, Forbidden, NotFound, TransientError
from chalicelib.core.fields import describe_duration
from chalicelib.core.messaging.passes import ack_url, issue_pass
from chalicelib.core.messaging.planning import Gap, gap_entries, plan_person
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Contact,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    ResponseState,
    Stop,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.escalations import (
    EscalationPolicy,
    quorum,
    with_acknowledgement,
    with_decline,
)
from chalicelib.core.playbook.rotations import on_call
from chalicelib.core.ports import (
    Clock,
    ContactDirectory,
    DispatchQueue,
    IncidentStore,
    OverrideSource,
    PlaybookSource,
    ReachedLedger,
    ResponderRegistry,
)
from chalicelib.core.wording.phrases import say
from chalicelib.core.wording.templates import AckInfo

_ATTEMPTS = 5
TICK_BATCH = 100


@dataclass
class TickReport:
    escalated: int = 0  # incidents whose state moved on (a level paged, or exhausted)
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
    ) -> None:
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
            report.escalated += queued >= 0
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


class AckLinks:
    """Issues each paged person their link and reply code, and remembers them."""

    def __init__(self, secret: bytes, public_url: str, registry: ResponderRegistry) -> None:
        self._secret = secret
        self._public_url = public_url
        self._registry = registry

    def issue(
        self, incident_id: str, contact_ids: Sequence[str], now: datetime
    ) -> dict[str, AckInfo]:
        passes = [issue_pass(self._secret, incident_id, c, now) for c in contact_ids]
        if passes:
            self._registry.register(passes)
        return {
            found.contact_id: AckInfo(ack_url(self._public_url, found.token), found.code)
            for found in passes
        }


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
        for _ in range(_ATTEMPTS):
            incident = self._open(incident_id)
            self._require_paged(incident, contact_id)
            state = incident.response
            if contact_id in state.acknowledged_by:
                return Answer("already", incident)
            policy = self._policy(incident)
            new = with_acknowledgement(state, contact_id, policy)
            needed, have = quorum(policy, state), len(new.acknowledged_by)
            stopped = new.stopped is Stop.ACKNOWLEDGED and state.stopped is None
            progress = f" ({have} of {needed} needed)" if have < needed else ""
            summary = f"acknowledged by {contact_id} via {via}" + progress
            if stopped and state.policy_id:
                summary += "; escalation stopped"
            entry = TimelineEntry(
                at=self._clock.now(),
                kind="acknowledged",
                summary=summary,
                data={"contact_id": contact_id, "via": via, "have": have, "needed": needed},
                key=f"ack-{contact_id}",
            )
            if self._incidents.save_response(incident_id, state.version, new, [entry]):
                outcome = "acknowledged" if have >= needed else "counted"
                return Answer(outcome, replace(incident, response=new), have, needed)
        raise TransientError(f"incident {incident_id} kept changing; try again")

    def acknowledge_for(self, incident_id: str, source: str, via: str) -> Answer:
        """A tool or a service key acknowledges (not a person): escalation stops."""
        for _ in range(_ATTEMPTS):
            incident = self._open(incident_id)
            state = incident.response
            new = replace(
                state,
                stopped=state.stopped or Stop.ACKNOWLEDGED,
                due_at=None,
                version=state.version + 1,
            )
            entry = TimelineEntry(
                at=self._clock.now(),
                kind="acknowledged",
                summary=f"acknowledged by {source} via {via}"
                + ("; escalation stopped" if state.stopped is None and state.policy_id else ""),
                data={"source": source, "via": via},
                key=f"ack-{source}",
            )
            if self._incidents.save_response(incident_id, state.version, new, [entry]):
                return Answer("acknowledged", replace(incident, response=new))
        raise TransientError(f"incident {incident_id} kept changing; try again")

    def decline(self, incident_id: str, contact_id: str, via: str) -> Answer:
        """ "I can't respond": when everyone paged at this level says so, escalate at once."""
        for _ in range(_ATTEMPTS):
            incident = self._open(incident_id)
            self._require_paged(incident, contact_id)
            state = incident.response
            if contact_id in state.declined_by:
                return Answer("already_declined", incident)
            now = self._clock.now()
            new = with_decline(state, contact_id, now)
            entry = TimelineEntry(
                at=now,
                kind="declined",
                summary=f"{contact_id} can't respond (via {via})",
                data={"contact_id": contact_id, "via": via},
                key=f"decline-{contact_id}-{state.step}",
            )
            if self._incidents.save_response(incident_id, state.version, new, [entry]):
                escalating = new.is_due(now) and not state.is_due(now)
                if escalating:
                    self._escalator.advance(replace(incident, response=new))
                return Answer("declined", replace(incident, response=new), escalating=escalating)
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
