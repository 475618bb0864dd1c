"""Heartbeats: a tool that should keep talking to Tocsin pings it; silence past the grace opens
an incident by the playbook's rules, and the pings coming back resolve it.

    ping ──▶ last_ping_at = now ─────────────────────────────────────▶ 200
    tick ──▶ first sight: watched_since = now (the reference until a ping)
         ──▶ silent past every + grace: claim (missed_at, on the version read)
               ──▶ heartbeat.missed (trigger, dedup key heartbeat:<id>) ──▶ remember its id
    ping or tick, missed and pinged since:
         ──▶ the trigger still undecided: wait (SQS keeps no order: a resolve decided
             before its trigger would leave the incident open)
         ──▶ decided: resolve event (when it opened or joined an incident), then clear

Every step is conditional on what was read, so overlapping ticks open one incident and a ping
racing a tick is never lost. Pure: the store, the intake and the clock are injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.access import ApiKey
from chalicelib.core.activation.intake import IngestService, Sender
from chalicelib.core.activation.ports import EventStore
from chalicelib.core.errors import NotFound, TransientError
from chalicelib.core.fields import describe_duration
from chalicelib.core.model import DecisionOutcome
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.playbook.watching import HEARTBEAT_LABEL, Heartbeat
from chalicelib.core.ports import Clock
from chalicelib.core.watch.ports import HeartbeatState, HeartbeatStore

SOURCE = "tocsin.heartbeat"
MISSED = "heartbeat.missed"
FORMAT = "heartbeat"
# Heartbeat events keep their dedup keys in a namespace of their own: no API key can reach them.
HEARTBEATS = Sender(namespace="heartbeats")
# A claim whose event id was never written (the tick died between queueing and recording it)
# stops blocking a resolution after this long.
UNRECORDED_CLAIM = timedelta(minutes=10)
_OPENED = (DecisionOutcome.ACTIVATED, DecisionOutcome.UPDATED)


@dataclass(frozen=True)
class Ping:
    heartbeat_id: str
    received_at: datetime
    due_by: datetime  # silent until then, it is missed
    resolving: bool  # this ping ended a miss: a resolve event was queued


@dataclass(frozen=True)
class HeartbeatStatus:
    heartbeat: Heartbeat
    state: HeartbeatState | None  # None: never pinged, and no tick has seen it yet
    now: datetime

    @property
    def due_by(self) -> datetime | None:
        if self.state is None:
            return None
        return self.heartbeat.overdue_at(self.state.last_ping_at or self.state.watched_since)

    @property
    def condition(self) -> str:
        """``missed``, ``late`` (past the interval, within the grace), ``ok``, or
        ``waiting`` (no ping yet, not overdue yet)."""
        state = self.state
        if state is not None and state.missed_at is not None:
            pinged = state.last_ping_at is not None and state.last_ping_at > state.missed_at
            return "back (resolving)" if pinged else "missed"
        if state is None or state.last_ping_at is None:
            return "waiting for a first ping"
        if self.now > state.last_ping_at + self.heartbeat.every:
            return "late"
        return "ok"


@dataclass
class HeartbeatReport:
    missed: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    watching: list[str] = field(default_factory=list)  # seen for the first time


class Heartbeats:
    def __init__(
        self,
        playbooks: PlaybookSource,
        store: HeartbeatStore,
        intake: IngestService,
        decisions: EventStore,
        clock: Clock,
    ) -> None:
        self._playbooks = playbooks
        self._store = store
        self._intake = intake
        self._decisions = decisions
        self._clock = clock

    def ping(self, heartbeat_id: str, key: ApiKey) -> Ping:
        """A tool says it is alive. NotFound for a heartbeat the playbook does not declare,
        Forbidden for a key not bound to it."""
        heartbeat = self._declared(heartbeat_id)
        key.require_heartbeat(heartbeat_id)
        now = self._clock.now()
        state = self._store.ping(heartbeat_id, now, key.name)
        try:
            resolving = self._settle_return(heartbeat, state, now)
        except TransientError:
            resolving = False  # the ping is recorded; the next tick resolves the miss
        return Ping(heartbeat_id, now, heartbeat.overdue_at(now), resolving)

    def check(self) -> HeartbeatReport:
        """The tick: a heartbeat silent past its grace is missed, once; one whose pings came
        back is resolved."""
        now = self._clock.now()
        report = HeartbeatReport()
        declared = self._playbooks.load().heartbeats
        states = self._store.states(sorted(declared))
        for heartbeat_id, heartbeat in sorted(declared.items()):
            state = states.get(heartbeat_id)
            if state is None:
                self._store.watch(heartbeat_id, now)
                report.watching.append(heartbeat_id)
            elif state.missed_at is not None:
                if self._settle_return(heartbeat, state, now):
                    report.resolved.append(heartbeat_id)
            elif self._is_overdue(heartbeat, state, now) and self._miss(heartbeat, state, now):
                report.missed.append(heartbeat_id)
        return report

    def statuses(self) -> list[HeartbeatStatus]:
        """Every declared heartbeat with what is known of it (``tocsin heartbeats list``)."""
        declared = self._playbooks.load().heartbeats
        states = self._store.states(sorted(declared))
        now = self._clock.now()
        return [
            HeartbeatStatus(heartbeat, states.get(heartbeat_id), now)
            for heartbeat_id, heartbeat in sorted(declared.items())
        ]

    def _declared(self, heartbeat_id: str) -> Heartbeat:
        playbook = self._playbooks.load()
        heartbeat = playbook.heartbeats.get(heartbeat_id)
        if heartbeat is None:
            declared = ", ".join(sorted(playbook.heartbeats)) or "none"
            raise NotFound(
                f"no heartbeat {heartbeat_id!r} is declared in the playbook "
                f"(version {playbook.version}; declared: {declared})"
            )
        return heartbeat

    @staticmethod
    def _is_overdue(heartbeat: Heartbeat, state: HeartbeatState, now: datetime) -> bool:
        return now >= heartbeat.overdue_at(state.last_ping_at or state.watched_since)

    def _miss(self, heartbeat: Heartbeat, state: HeartbeatState, now: datetime) -> bool:
        """Claim the miss on the state as read, then queue the trigger; a claim whose event
        could not be queued is undone, so the next tick tries again."""
        if not self._store.mark_missed(heartbeat.heartbeat_id, state.version, now):
            return False  # a ping or another tick got there first
        try:
            [received] = self._intake.accept_many(
                [missed_event(heartbeat, state, now)],
                HEARTBEATS,
                format=FORMAT,
                original={"heartbeat": heartbeat.heartbeat_id, "missed_at": now.isoformat()},
            )
        except TransientError:
            self._store.clear_missed(heartbeat.heartbeat_id, now)
            raise
        self._store.missed_sent(heartbeat.heartbeat_id, now, received.event_id)
        return True

    def _settle_return(self, heartbeat: Heartbeat, state: HeartbeatState, now: datetime) -> bool:
        """Resolve a miss whose pings came back, once its trigger has been decided."""
        missed_at = state.missed_at
        if missed_at is None or state.last_ping_at is None or state.last_ping_at <= missed_at:
            return False
        if state.missed_event_id is None:
            if now - missed_at < UNRECORDED_CLAIM:
                return False  # the tick that claimed it is still queueing its trigger
            opened = True  # it died in between: resolve, in case its trigger went out
        else:
            decision = self._decisions.get(state.missed_event_id)
            if decision is not None and decision.outcome is DecisionOutcome.PENDING:
                return False  # the next ping or tick resolves it, once it is decided
            # An expired record no longer says; resolving nothing is harmless.
            opened = decision is None or decision.outcome in _OPENED
        if opened:
            self._intake.accept_many(
                [back_event(heartbeat, state.last_ping_at)],
                HEARTBEATS,
                format=FORMAT,
                original={
                    "heartbeat": heartbeat.heartbeat_id,
                    "pinged_at": state.last_ping_at.isoformat(),
                },
            )
        # Lost to a concurrent ping or tick that queued the same resolve: harmless.
        self._store.clear_missed(heartbeat.heartbeat_id, missed_at)
        return True


def dedup_key(heartbeat_id: str) -> str:
    return f"heartbeat:{heartbeat_id}"


def missed_event(heartbeat: Heartbeat, state: HeartbeatState, now: datetime) -> dict[str, Any]:
    heard = state.last_ping_at
    since = (
        f"no ping since {_when(heard)}"
        if heard
        else f"no ping at all since Tocsin began watching it at {_when(state.watched_since)}"
    )
    every, grace = describe_duration(heartbeat.every), describe_duration(heartbeat.grace)
    return {
        "source": SOURCE,
        "type": MISSED,
        "severity": heartbeat.severity.value,
        "status": "actual",
        "summary": f"Heartbeat {heartbeat.heartbeat_id} missed: {since} "
        f"(expected every {every}, grace {grace})",
        "dedup_key": dedup_key(heartbeat.heartbeat_id),
        "labels": {**heartbeat.labels, HEARTBEAT_LABEL: heartbeat.heartbeat_id},
        "details": {
            "heartbeat": heartbeat.heartbeat_id,
            "description": heartbeat.description,
            "every": every,
            "grace": grace,
            "last_ping_at": heard.isoformat() if heard else None,
            "last_key": state.last_key,
            "watched_since": state.watched_since.isoformat(),
            "overdue_since": heartbeat.overdue_at(heard or state.watched_since).isoformat(),
        },
        "occurred_at": now.isoformat(),
    }


def back_event(heartbeat: Heartbeat, pinged_at: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "type": MISSED,
        "action": "resolve",
        "summary": f"Heartbeat {heartbeat.heartbeat_id} is back: pinged at {_when(pinged_at)}",
        "dedup_key": dedup_key(heartbeat.heartbeat_id),
        "labels": {**heartbeat.labels, HEARTBEAT_LABEL: heartbeat.heartbeat_id},
        "details": {"heartbeat": heartbeat.heartbeat_id, "pinged_at": pinged_at.isoformat()},
        "occurred_at": pinged_at.isoformat(),
    }


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
