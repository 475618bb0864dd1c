"""Running drills: started by hand (``POST /v1/drills``, ``tocsin drill run``) or, for a
surprise, by the minute tick at its secret moment.

    request ─▶ checked (plan, kind, roster resolved to people, window) ─▶ 400 on any fault
        tabletop ───────────▶ its plan worked out (``tabletop.py``), in the register: nothing sent
        simulation, full-scale ─▶ the plan's slot taken (409 while another drill of it runs)
                                  ─▶ an exercise incident carrying the roster ─▶ the notifier
        surprise ───────────▶ slot taken, a secret minute drawn ─▶ fired by ``fire_due``

The incident's id is the drill's (``drl_X`` runs as ``inc_X``), so firing again after a fault
finds the incident already opened instead of opening a second one. Nobody off the roster is
sent anything: the dispatcher drops every job of the incident for anyone else
(``messaging/claims.still_wanted``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.activation.ports import ScheduleSlots
from chalicelib.core.activation.scheduled import LOOKBACK
from chalicelib.core.cursors import Position
from chalicelib.core.drills.counts import raw_counts
from chalicelib.core.drills.kinds import Drill, DrillState, RawCounts
from chalicelib.core.drills.ports import DrillPage, DrillRegister
from chalicelib.core.drills.surprise import pick_moment
from chalicelib.core.drills.tabletop import TabletopPlan, tabletop
from chalicelib.core.errors import Conflict, InvalidPolicy, InvalidRequest, NotFound
from chalicelib.core.ids import new_ulid
from chalicelib.core.model import (
    EventStatus,
    Incident,
    IncidentStatus,
    ResponseState,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.drill_request import DrillKind, DrillRequest, RosterEntry
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.playbook.triggers import due_slots
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.escalator import Escalator

DRILL_TYPE = "drill.exercise"


@dataclass(frozen=True)
class DrillStarted:
    drill: Drill
    plan: TabletopPlan | None = None  # a tabletop's


@dataclass
class DrillTick:
    fired: list[str] = field(default_factory=list)  # drills started or surprises opened
    skipped: list[str] = field(default_factory=list)  # repeated drills that could not start


class DrillDesk:
    def __init__(
        self,
        register: DrillRegister,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        notifier: Notifier,
        escalator: Escalator | None,
        clock: Clock,
        randbelow: Callable[[int], int] = secrets.randbelow,
        slots: ScheduleSlots | None = None,
    ) -> None:
        self._register = register
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._notifier = notifier
        self._escalator = escalator
        self._clock = clock
        self._randbelow = randbelow
        self._slots = slots  # which firings of the playbook's repeated drills happened

    def run(self, request: DrillRequest, actor_id: str) -> DrillStarted:
        playbook = self._playbooks.load()
        plan = playbook.plans.get(request.plan_id)
        if plan is None:
            raise InvalidRequest("plan", f"no response plan {request.plan_id!r}")
        for index, target in enumerate(request.targets):
            if target.role is not None and target.role not in playbook.roles:
                raise InvalidRequest(f"targets[{index}].role", f"no role {target.role!r}")
        roster = self._resolve(playbook, request.roster)
        now = self._clock.now()
        drill = Drill(
            drill_id=f"drl_{new_ulid(now)}",
            plan_id=plan.plan_id,
            kind=request.kind,
            state=DrillState.RUNNING,
            created_at=now,
            created_by=actor_id,
            roster=roster,
            targets=request.targets,
            window=request.window,
            expires_at=playbook.retention.incident_expiry(now),
        )
        if request.kind is DrillKind.TABLETOP:
            contacts = self._directory.members(plan.roles, plan.teams)
            worked = tabletop(
                _incident(drill, playbook, now), playbook, contacts, self._escalator, now
            )
            done = replace(drill, state=DrillState.FINISHED, finished_at=now, note=worked.summary())
            self._register.begin(done, None)
            return DrillStarted(done, worked)
        if request.kind is DrillKind.SURPRISE:
            assert request.window is not None
            moment = pick_moment(request.window, now, self._randbelow)
            if moment is None:
                raise InvalidRequest("window", "has no minute left before its end")
            drill = replace(drill, state=DrillState.SCHEDULED, fire_at=moment)
        self._take_slot(drill)
        if request.kind is not DrillKind.SURPRISE:
            drill = self._open(drill, playbook, now)
        return DrillStarted(drill)

    def fire_due(self) -> DrillTick:
        """Start the playbook's repeated drills whose time came (each firing once), then open
        the incident of every surprise whose moment has come."""
        tick = DrillTick()
        fired = self._fire_scheduled(tick)
        now = self._clock.now()
        for drill in self._register.due(now):
            playbook = self._playbooks.load()
            if drill.plan_id not in playbook.plans:  # the plan left the playbook meanwhile
                why = f"not fired: the playbook no longer has plan {drill.plan_id}"
                self._register.save(replace(drill, state=DrillState.CANCELLED, note=why))
                continue
            self._open(drill, playbook, now)
            fired.append(drill.drill_id)
        tick.fired = fired
        return tick

    def _fire_scheduled(self, tick: DrillTick) -> list[str]:
        if self._slots is None:
            return []
        now, started = self._clock.now(), []
        for declared in self._playbooks.load().drills:
            for slot in due_slots(declared.timing, now - LOOKBACK, now):
                if not self._slots.claim(declared.timing.schedule_id, slot):
                    continue
                try:
                    run = self.run(declared.request_at(now), f"playbook:{declared.drill_id}")
                except (Conflict, InvalidRequest, InvalidPolicy) as refused:
                    tick.skipped.append(f"{declared.drill_id} at {slot.isoformat()}: {refused}")
                    continue
                started.append(run.drill.drill_id)
        return started

    def get(self, drill_id: str) -> Drill:
        drill = self._register.get(drill_id)
        if drill is None:
            raise NotFound(f"no drill {drill_id}")
        return self._refreshed(drill)

    def page(self, limit: int, after: Position | None) -> DrillPage:
        page = self._register.page(limit, after)
        return DrillPage(tuple(self._refreshed(drill) for drill in page.items), page.next)

    def counts(self, drill: Drill) -> RawCounts | None:
        """Its raw counts once its incident opened (None before, and for a tabletop)."""
        if drill.incident_id is None or drill.started_at is None:
            return None
        timeline = self._incidents.timeline(drill.incident_id)
        return raw_counts(len(drill.roster), drill.started_at, timeline)

    def _resolve(self, playbook: Playbook, entries: tuple[RosterEntry, ...]) -> tuple[str, ...]:
        """The people the roster names now (roles and teams as the directory has them)."""
        ids = [entry.name for entry in entries if entry.kind == "contact"]
        roles = tuple(entry.name for entry in entries if entry.kind == "role")
        teams = tuple(entry.name for entry in entries if entry.kind == "team")
        for index, entry in enumerate(entries):
            known = {"role": playbook.roles, "team": playbook.teams}.get(entry.kind)
            if known is not None and entry.name not in known:
                raise InvalidRequest(
                    f"roster[{index}]", f"the playbook has no {entry.kind} {entry.name!r}"
                )
        found = self._directory.get_contacts(ids) if ids else {}
        unknown = [name for name in ids if name not in found]
        if unknown:
            raise InvalidRequest("roster", f"no contact {unknown[0]}")
        people = set(found)
        if roles or teams:
            people |= {contact.contact_id for contact in self._directory.members(roles, teams)}
        if not people:
            raise InvalidRequest("roster", "names nobody: its roles and teams have no members")
        return tuple(sorted(people))

    def _take_slot(self, drill: Drill) -> None:
        holder = self._register.holder(drill.plan_id)
        if holder is not None:
            other = self._register.get(holder)
            if other is not None and self._refreshed(other).state.is_active:
                raise Conflict(
                    f"drill {other.drill_id} of plan {drill.plan_id} is still "
                    f"{other.state.value}: finish it (resolve its incident) first"
                )
        if not self._register.begin(drill, holder):
            raise Conflict(f"another drill of plan {drill.plan_id} has just started")

    def _open(self, drill: Drill, playbook: Playbook, now: datetime) -> Drill:
        incident = _incident(drill, playbook, now)
        if self._incidents.get(incident.incident_id) is None:
            plan = playbook.plan(drill.plan_id)
            entry = TimelineEntry(
                at=now,
                kind="drill_started",
                summary=f"{drill.kind.value} drill {drill.drill_id} of {plan.title} started by "
                f"{drill.created_by}: {len(drill.roster)} people on its roster, nobody else "
                "is sent anything",
                data={
                    "drill_id": drill.drill_id,
                    "kind": drill.kind.value,
                    "plan": drill.plan_id,
                    "roster_size": len(drill.roster),
                    "contact_id": drill.created_by,
                },
                key="drill-started",
            )
            with suppress(RuntimeError):  # an overlapping tick opened it first: it goes on
                self._incidents.create(incident, [entry])
        running = replace(
            drill, state=DrillState.RUNNING, incident_id=incident.incident_id, started_at=now
        )
        self._register.save(running)
        self._notifier.notify(incident.incident_id, incident)
        return running

    def _refreshed(self, drill: Drill) -> Drill:
        """A running drill whose incident was resolved or cancelled is finished (saved so)."""
        if drill.state is not DrillState.RUNNING or drill.incident_id is None:
            return drill
        incident = self._incidents.get(drill.incident_id)
        if incident is None or incident.status not in (
            IncidentStatus.RESOLVED,
            IncidentStatus.CANCELLED,
        ):
            return drill
        ended = replace(
            drill,
            state=DrillState.FINISHED,
            finished_at=incident.resolved_at or incident.updated_at,
            note=f"its incident was {incident.status.value}",
        )
        self._register.save(ended)
        return ended


def _incident(drill: Drill, playbook: Playbook, now: datetime) -> Incident:
    """The exercise incident a drill runs as: the plan's own path, bounded by the roster."""
    plan = playbook.plan(drill.plan_id)
    incident_id = "inc_" + drill.drill_id.removeprefix("drl_")
    return Incident(
        incident_id=incident_id,
        status=IncidentStatus.OPEN,
        title=f"Drill: {plan.title}",
        type=DRILL_TYPE,
        severity=Severity.CRITICAL,
        event_status=EventStatus.EXERCISE,
        dedup_key=f"drill:{drill.drill_id}",
        rule_id="drill",
        plan_id=drill.plan_id,
        opened_at=now,
        updated_at=now,
        playbook_version=playbook.version,
        requested_by=drill.created_by,
        response=ResponseState.starting(plan.escalation, now),
        expires_at=drill.expires_at,
        drill_id=drill.drill_id,
        drill_kind=drill.kind.value,
        roster=frozenset(drill.roster),
    )
