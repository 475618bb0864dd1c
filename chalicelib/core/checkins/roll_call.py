"""Starting a check-in and recording its answers.

    start ──▶ audience resolved (roles, teams, people, everyone) and frozen with their teams
          ──▶ the check-in's incident (type tocsin.checkin: its ledger, budget and timeline)
          ──▶ one job per person on the dispatch queue (notice ``checkin``), paced and
              counted against the budget like any alert; the dispatcher words them
    answer ──▶ kept for ever (time, channel); the latest counts; after the deadline, late
           ──▶ an option that needs help: an incident paging the responders (help.py)

The people are asked through the very path alerts take, so the send ledger asks each person
once per round whatever is redelivered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.core.checkins.help import HelpDesk
from chalicelib.core.checkins.ports import CheckinStore
from chalicelib.core.checkins.values import (
    CHECKIN_TYPE,
    AnsweredBy,
    AudienceMember,
    Checkin,
    CheckinAnswer,
    CheckinStatus,
)
from chalicelib.core.errors import FieldProblem, InvalidRequest, NotFound
from chalicelib.core.ids import new_ulid
from chalicelib.core.messaging.planning import Gap, gap_entries, plan_person
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    ResponseState,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.checkin_request import CheckinOption, CheckinRequest
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.escalations import direct_policy_id
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore


class NotAnOption(InvalidRequest):
    """A digit or a number that is none of the check-in's options: nothing is recorded."""

    def __init__(self, checkin: Checkin, number: int) -> None:
        choices = ", ".join(str(o.number) for o in checkin.options)
        super().__init__("option", f"{number} is not an option of this check-in ({choices})")
        self.choices = choices
        self.number = number


@dataclass(frozen=True)
class Answered:
    checkin: Checkin
    answer: CheckinAnswer
    option: CheckinOption
    previous: CheckinAnswer | None

    @property
    def changed(self) -> bool:
        return self.previous is None or self.previous.option != self.answer.option


class CheckinDesk:
    def __init__(
        self,
        store: CheckinStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        dispatch: DispatchQueue,
        help_desk: HelpDesk,
        clock: Clock,
    ) -> None:
        self._store = store
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._dispatch = dispatch
        self._help = help_desk
        self._clock = clock

    def get(self, checkin_id: str) -> Checkin:
        found = self._store.get(checkin_id) if checkin_id.startswith("chk_") else None
        if found is None:
            raise NotFound(f"no check-in {checkin_id!r}")
        return found

    def start(
        self,
        request: CheckinRequest,
        actor_id: str,
        checkin_id: str | None = None,
        exercise: bool = False,
        drill: Incident | None = None,
    ) -> Checkin:
        """Ask everyone in the audience. ``checkin_id``: one derived from what started it (a
        plan's incident), so that starting it again completes it and asks nobody twice (the
        send ledger); ``exercise``: an exercise whatever the request says; ``drill``: the
        drill's incident that starts it, whose roster bounds who is asked."""
        playbook = self._playbooks.load()
        responders = _responders(playbook, request)
        people = self._audience(playbook, request)
        if drill is not None and drill.roster is not None:
            people = [person for person in people if person.contact_id in drill.roster]
        now = self._clock.now()
        stored = self._store.get(checkin_id) if checkin_id else None
        checkin_id = checkin_id or f"chk_{new_ulid(now)}"
        every = request.reminders.every
        checkin = Checkin(
            checkin_id=checkin_id,
            question=request.question,
            options=request.options,
            audience=request.audience,
            channels=request.channels,
            chain=request.chain,
            deadline=now + request.deadline,
            reminders=request.reminders,
            responders=responders,
            exercise=request.exercise or exercise,
            created_at=now,
            created_by=actor_id,
            next_reminder_at=now + every if every and request.reminders.times else None,
            asked=len(people),
            expires_at=playbook.retention.incident_expiry(now),
        )
        jobs: dict[tuple[str, str], NotificationJob] = {}
        gaps: list[Gap] = []
        for person in people:
            plan_person(
                checkin.incident_id,
                "check-in",
                request.channels,
                request.chain,
                person,
                0,
                jobs,
                gaps,
            )
        reached = {contact_id for contact_id, _ in jobs}
        unreachable = tuple(p.contact_id for p in people if p.contact_id not in reached)
        checkin = replace(checkin, unreachable=unreachable)
        members = [AudienceMember(p.contact_id, p.teams, p.roles, p.labels) for p in people]
        if stored is None:
            self._store.create(checkin, members)
        checkin = stored or checkin
        entry = TimelineEntry(
            at=now,
            kind="checkin_started",
            summary=f"check-in started by {actor_id}: {len(people)} people asked "
            f"({request.audience.describe()}), {len(unreachable)} unreachable; answers until "
            f"{checkin.deadline.isoformat()}",
            data={"checkin_id": checkin_id, "asked": len(people), "jobs": len(jobs)},
            key="checkin-started",
        )
        if stored is None or self._incidents.get(checkin.incident_id) is None:
            self._incidents.create(_incident(checkin, playbook.version, drill), [entry])
            self._incidents.append(checkin.incident_id, gap_entries(now, gaps))
        self._dispatch.put_jobs([replace(j, notice=Notice.CHECKIN) for j in jobs.values()])
        return checkin

    def answer(
        self, checkin_id: str, contact_id: str, number: int, by: AnsweredBy, asked: bool = False
    ) -> Answered:
        """Record one answer; ``asked``: the caller proved the person was asked (their link,
        a text from their number); otherwise the audience is read to check."""
        checkin = self.get(checkin_id)
        if not asked and contact_id not in {m.contact_id for m in self._store.audience(checkin_id)}:
            raise NotFound(f"{contact_id} was not asked in check-in {checkin_id}")
        option = checkin.option(number)
        if option is None:
            raise NotAnOption(checkin, number)
        now = self._clock.now()
        answer_id = new_ulid(now)
        late = checkin.is_late(now) or checkin.status is CheckinStatus.CLOSED
        answer = CheckinAnswer(answer_id, contact_id, number, now, by, late)
        previous = self._store.latest_of(checkin_id, [contact_id]).get(contact_id)
        if option.needs_help:
            already = previous.help_incident if previous and _helps(checkin, previous) else None
            answer = replace(answer, help_incident=already or f"inc_{answer_id}")
        previous = self._store.record(checkin_id, answer)
        said = f"{number} ({option.text('en')})"
        self._incidents.append(
            checkin.incident_id,
            [
                TimelineEntry(
                    at=now,
                    kind="checkin_answered",
                    summary=f"{contact_id} answered {said} by {by.value}"
                    + (" after the deadline" if late else ""),
                    data={"contact_id": contact_id, "option": number, "by": by.value}
                    | {"late": late, "help_incident": answer.help_incident},
                    key=f"answer-{answer_id}",
                )
            ],
        )
        if answer.help_incident is not None:
            self._help.ensure(answer.help_incident, checkin, answer)
        return Answered(checkin, answer, option, previous)

    def _audience(self, playbook: Playbook, request: CheckinRequest) -> list[Contact]:
        audience = request.audience
        problems = [
            FieldProblem(f"audience.roles[{i}]", f"unknown role {name!r}")
            for i, name in enumerate(audience.roles)
            if name not in playbook.roles
        ] + [
            FieldProblem(f"audience.teams[{i}]", f"unknown team {name!r}")
            for i, name in enumerate(audience.teams)
            if name not in playbook.teams
        ]
        if problems:
            raise InvalidRequest.of(problems)
        roles = tuple(playbook.roles) if audience.everyone else audience.roles
        teams = tuple(playbook.teams) if audience.everyone else audience.teams
        found = {c.contact_id: c for c in self._directory.members(roles, teams)}
        for i, label in enumerate(audience.labels):  # one by one: a label nobody has is a typo
            carrying = self._directory.members((), (), (label,))
            if not carrying:
                problems.append(FieldProblem(f"audience.labels[{i}]", f"nobody has {label!r}"))
            found.update((c.contact_id, c) for c in carrying)
        named = self._directory.get_contacts(list(audience.contacts))
        problems += [
            FieldProblem(f"audience.contacts[{i}]", f"no contact {contact_id!r}")
            for i, contact_id in enumerate(audience.contacts)
            if contact_id not in named
        ]
        if problems:
            raise InvalidRequest.of(problems)
        found.update(named)
        if not found:
            raise InvalidRequest("audience", f"nobody to ask: {audience.describe()} has no members")
        return sorted(found.values(), key=lambda c: c.contact_id)


def _helps(checkin: Checkin, answer: CheckinAnswer) -> bool:
    option = checkin.option(answer.option)
    return bool(option and option.needs_help)


def _responders(playbook: Playbook, request: CheckinRequest) -> str:
    kind, name = request.responders
    policy_id = name if kind == "escalation" else direct_policy_id(kind, name)
    if playbook.escalation(policy_id) is None:
        raise InvalidRequest(f"responders.{kind}", f"the playbook has no {kind} {name!r}")
    return policy_id


def _incident(checkin: Checkin, version: int, drill: Incident | None) -> Incident:
    """What the check-in's messages travel on: its ledger, budget, cost and timeline (and a
    drill's roster)."""
    return Incident(
        incident_id=checkin.incident_id,
        status=IncidentStatus.OPEN,
        title=checkin.question_in("en"),
        type=CHECKIN_TYPE,
        severity=Severity.HIGH,
        event_status=EventStatus.EXERCISE if checkin.exercise else EventStatus.ACTUAL,
        dedup_key=f"checkin:{checkin.checkin_id}",
        rule_id="checkin",
        plan_id="checkin",
        opened_at=checkin.created_at,
        updated_at=checkin.created_at,
        playbook_version=version,
        requested_by=checkin.created_by,
        response=ResponseState(),
        expires_at=checkin.expires_at,
        drill_id=drill.drill_id if drill else None,
        drill_kind=drill.drill_kind if drill else None,
        roster=drill.roster if drill else None,
    )
