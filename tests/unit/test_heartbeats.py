"""Heartbeats on a simulated clock: silence past the grace opens one incident's trigger, pings
coming back resolve it once its trigger is decided, and every refusal says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.access import ApiKey
from chalicelib.core.errors import Forbidden, NotFound, TransientError
from chalicelib.core.model import Action, DecisionOutcome, EventStatus, Severity
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.watch.heartbeats import Heartbeats
from tests.fakes import FixedClock
from tests.watch_fakes import (
    MemoryDecisions,
    MemoryHeartbeatStore,
    RecordingIntake,
    StaticPlaybooks,
)

START = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
PLAYBOOK = parse_playbook(
    {
        "heartbeats": [
            {"id": "nightly-backup", "every": "1d", "grace": "2h", "labels": {"service": "db"}},
            {"id": "watchdog", "every": "5m", "grace": "10m", "severity": "critical"},
        ]
    }
)
BACKUP_KEY = ApiKey("backup-job", frozenset(), heartbeats=frozenset({"nightly-backup"}))
WATCHDOG_KEY = ApiKey("alertmanager", frozenset(), heartbeats=frozenset({"watchdog"}))


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.store = MemoryHeartbeatStore()
        self.intake = RecordingIntake(self.clock)
        self.decisions = MemoryDecisions(self.intake)
        self.heartbeats = Heartbeats(
            StaticPlaybooks(PLAYBOOK), self.store, self.intake, self.decisions, self.clock
        )

    def at(self, delta: timedelta) -> World:
        self.clock.current = START + delta
        return self


@pytest.fixture
def world() -> World:
    return World()


def test_a_silent_heartbeat_is_missed_once_past_its_grace(world: World) -> None:
    assert world.heartbeats.check().watching == ["nightly-backup", "watchdog"]
    world.heartbeats.ping("nightly-backup", BACKUP_KEY)
    world.at(timedelta(days=1, hours=1, minutes=59))
    assert world.heartbeats.check().missed == ["watchdog"]  # 15 min without any ping
    world.at(timedelta(days=1, hours=2))
    assert world.heartbeats.check().missed == ["nightly-backup"]
    world.at(timedelta(days=1, hours=3))
    assert world.heartbeats.check().missed == []  # missed once, not every tick
    triggers = [r.event for r in world.intake.received]
    assert [(e.dedup_key, e.action) for e in triggers] == [
        ("heartbeat:watchdog", Action.TRIGGER),
        ("heartbeat:nightly-backup", Action.TRIGGER),
    ]
    watchdog, backup = triggers
    assert (watchdog.type, watchdog.severity, watchdog.status) == (
        "heartbeat.missed",
        Severity.CRITICAL,
        EventStatus.ACTUAL,
    )
    assert "no ping at all since Tocsin began watching it at 2026-12-02 01:00:00 UTC" in (
        watchdog.summary
    )
    assert backup.summary == (
        "Heartbeat nightly-backup missed: no ping since 2026-12-02 01:00:00 UTC "
        "(expected every 1d, grace 2h)"
    )
    assert backup.labels == {"service": "db", "heartbeat": "nightly-backup"}
    assert backup.details["last_key"] == "backup-job"
    assert backup.details["overdue_since"] == "2026-12-03T03:00:00+00:00"


def test_a_ping_says_when_the_next_is_due(world: World) -> None:
    ping = world.at(timedelta(minutes=3)).heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert ping.due_by == START + timedelta(minutes=18) and not ping.resolving
    state = world.store.items["watchdog"]
    assert (state.pings, state.last_key, state.last_ping_at) == (
        1,
        "alertmanager",
        ping.received_at,
    )


def test_an_undeclared_heartbeat_is_not_found_and_named(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        world.heartbeats.ping("nighlty-backup", BACKUP_KEY)
    assert str(caught.value) == (
        "no heartbeat 'nighlty-backup' is declared in the playbook "
        "(version 0; declared: nightly-backup, watchdog)"
    )
    assert world.store.items == {}


def test_a_key_not_bound_to_the_heartbeat_is_refused_and_nothing_is_recorded(
    world: World,
) -> None:
    with pytest.raises(Forbidden) as caught:
        world.heartbeats.ping("nightly-backup", WATCHDOG_KEY)
    assert "not bound to heartbeat 'nightly-backup' (it is bound to watchdog)" in str(caught.value)
    with pytest.raises(Forbidden, match="bound to no heartbeat"):
        world.heartbeats.ping("watchdog", ApiKey("ops", frozenset()))
    assert world.store.items == {}


def miss_the_watchdog(world: World) -> None:
    world.heartbeats.check()
    world.at(timedelta(minutes=15))
    assert world.heartbeats.check().missed == ["watchdog"]


def test_pings_coming_back_resolve_once_the_trigger_is_decided(world: World) -> None:
    miss_the_watchdog(world)
    # The trigger is still on the queue: resolving now could be decided before it.
    world.at(timedelta(minutes=16))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    assert world.heartbeats.check().resolved == []
    world.decisions.decide_all(DecisionOutcome.ACTIVATED)
    world.at(timedelta(minutes=17))
    assert world.heartbeats.check().resolved == ["watchdog"]
    assert world.intake.actions() == [
        ("trigger", "heartbeat:watchdog"),
        ("resolve", "heartbeat:watchdog"),
    ]
    resolve = world.intake.received[-1].event
    assert resolve.summary == "Heartbeat watchdog is back: pinged at 2026-12-02 01:16:00 UTC"
    # Back to normal: another ping resolves nothing; silence again is a new miss.
    world.heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert len(world.intake.received) == 2
    world.at(timedelta(minutes=17 + 15))
    assert world.heartbeats.check().missed == ["watchdog"]


def test_a_ping_after_the_decision_resolves_at_once(world: World) -> None:
    miss_the_watchdog(world)
    world.decisions.decide_all(DecisionOutcome.ACTIVATED)
    assert world.at(timedelta(minutes=20)).heartbeats.ping("watchdog", WATCHDOG_KEY).resolving
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    assert world.heartbeats.check().resolved == []
    assert [action for action, _ in world.intake.actions()] == ["trigger", "resolve"]


def test_a_suppressed_trigger_is_cleared_without_a_resolve(world: World) -> None:
    miss_the_watchdog(world)
    world.decisions.decide_all(DecisionOutcome.SUPPRESSED)  # no rule took heartbeat.missed
    assert world.at(timedelta(minutes=20)).heartbeats.ping("watchdog", WATCHDOG_KEY).resolving
    assert [action for action, _ in world.intake.actions()] == ["trigger"]
    assert world.store.items["watchdog"].missed_at is None


def test_a_trigger_the_queue_refused_is_tried_again_by_the_next_tick(world: World) -> None:
    world.heartbeats.check()
    world.at(timedelta(minutes=15))
    world.intake.fail_next = 1
    with pytest.raises(TransientError):
        world.heartbeats.check()
    assert world.store.items["watchdog"].missed_at is None  # the claim was undone
    world.at(timedelta(minutes=16))
    assert world.heartbeats.check().missed == ["watchdog"]
    assert world.intake.actions() == [("trigger", "heartbeat:watchdog")]


def test_a_resolve_the_queue_refused_keeps_the_ping_and_the_tick_resolves_later(
    world: World,
) -> None:
    miss_the_watchdog(world)
    world.decisions.decide_all()
    world.intake.fail_next = 1
    world.at(timedelta(minutes=20))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    assert world.store.items["watchdog"].pings == 1
    assert world.heartbeats.check().resolved == ["watchdog"]


def test_a_claim_whose_trigger_was_never_recorded_stops_blocking_after_ten_minutes(
    world: World,
) -> None:
    world.heartbeats.check()
    state = world.store.items["watchdog"]
    world.store.mark_missed("watchdog", state.version, START)  # a tick died after claiming
    world.at(timedelta(minutes=5))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    world.at(timedelta(minutes=10))
    assert world.heartbeats.check().resolved == ["watchdog"]
    assert world.intake.actions() == [("resolve", "heartbeat:watchdog")]


def test_a_heartbeat_the_playbook_no_longer_declares_is_not_checked(world: World) -> None:
    world.heartbeats.check()
    world.heartbeats = Heartbeats(
        StaticPlaybooks(parse_playbook({})),
        world.store,
        world.intake,
        world.decisions,
        world.clock,
    )
    world.at(timedelta(days=30))
    assert world.heartbeats.check().missed == []


def test_statuses_say_waiting_ok_late_missed_and_back(world: World) -> None:
    def conditions() -> dict[str, str]:
        return {s.heartbeat.heartbeat_id: s.condition for s in world.heartbeats.statuses()}

    assert conditions() == {
        "nightly-backup": "waiting for a first ping",
        "watchdog": "waiting for a first ping",
    }
    world.heartbeats.ping("watchdog", WATCHDOG_KEY)
    world.heartbeats.check()
    assert conditions()["watchdog"] == "ok"
    world.at(timedelta(minutes=6))
    assert conditions()["watchdog"] == "late"
    [_, watchdog] = world.heartbeats.statuses()
    assert watchdog.due_by == START + timedelta(minutes=15)
    world.at(timedelta(minutes=15))
    world.heartbeats.check()
    assert conditions()["watchdog"] == "missed"
    world.at(timedelta(minutes=16)).heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert conditions()["watchdog"] == "back (resolving)"
