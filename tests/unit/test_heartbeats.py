"""Heartbeats on the in-memory world and a simulated clock: silence past the grace opens one
incident through the activation rules, pings coming back resolve it once its trigger is
decided, and every refusal says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.access import ApiKey
from chalicelib.core.errors import Forbidden, NotFound, TransientError
from chalicelib.core.model import Action, Contact, EventStatus, IncidentStatus, Severity
from chalicelib.core.playbook.document import parse_playbook
from fakes import MemoryWorld

START = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
BEATS = [
    {"id": "nightly-backup", "every": "1d", "grace": "2h", "labels": {"service": "db"}},
    {"id": "watchdog", "every": "5m", "grace": "10m", "severity": "critical"},
]
PAGING = {
    "roles": [{"id": "it-security"}],
    "plans": [{"id": "p", "title": "P", "notify": [{"role": "it-security", "channels": ["sms"]}]}],
    "rules": [{"id": "missed", "match": {"types": ["heartbeat.missed"]}, "plan": "p"}],
}
BACKUP_KEY = ApiKey("backup-job", frozenset(), heartbeats=frozenset({"nightly-backup"}))
WATCHDOG_KEY = ApiKey("alertmanager", frozenset(), heartbeats=frozenset({"watchdog"}))


FAY = Contact("c-fay", "Fay Example", ("it-security",), phone="+12025550105")


def a_world(rules: bool = True) -> MemoryWorld:
    playbook = parse_playbook({"heartbeats": BEATS, **(PAGING if rules else {})})
    return MemoryWorld(START, playbook, contacts=[FAY])


@pytest.fixture
def world() -> MemoryWorld:
    return a_world()


def at(world: MemoryWorld, delta: timedelta) -> MemoryWorld:
    world.clock.current = START + delta
    return world


def actions(world: MemoryWorld) -> list[tuple[str, str | None]]:
    return [
        (r.event.action.value, r.event.dedup_key)
        for r in sorted(world.events.received.values(), key=lambda r: r.event_id)
    ]


def incidents(world: MemoryWorld, dedup_key: str) -> list[IncidentStatus]:
    """Every incident the events with ``dedup_key`` opened or joined, by its status now."""
    found = {
        record.incident_id
        for event_id, received in world.events.received.items()
        if received.event.dedup_key == dedup_key
        and (record := world.events.get(event_id)) is not None
        and record.incident_id
    }
    return [incident.status for i in sorted(found) if (incident := world.incidents.get(i))]


def test_a_silent_heartbeat_is_missed_once_past_its_grace(world: MemoryWorld) -> None:
    assert world.heartbeats.check().watching == ["nightly-backup", "watchdog"]
    world.heartbeats.ping("nightly-backup", BACKUP_KEY)
    at(world, timedelta(days=1, hours=1, minutes=59))
    assert world.heartbeats.check().missed == ["watchdog"]  # not a single ping in 15 min
    at(world, timedelta(days=1, hours=2))
    assert world.heartbeats.check().missed == ["nightly-backup"]
    at(world, timedelta(days=1, hours=3))
    assert world.heartbeats.check().missed == []  # missed once, not at every tick
    assert actions(world) == [
        ("trigger", "heartbeat:watchdog"),
        ("trigger", "heartbeat:nightly-backup"),
    ]
    watchdog, backup = [
        r.event for r in sorted(world.events.received.values(), key=lambda r: r.event_id)
    ]
    assert (watchdog.type, watchdog.severity, watchdog.status, watchdog.action) == (
        "heartbeat.missed",
        Severity.CRITICAL,
        EventStatus.ACTUAL,
        Action.TRIGGER,
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


def test_a_miss_opens_one_incident_by_the_rules_and_the_pings_coming_back_resolve_it(
    world: MemoryWorld,
) -> None:
    world.heartbeats.check()
    at(world, timedelta(minutes=15))
    world.heartbeats.check()
    world.run_queues()
    assert incidents(world, "heartbeat:watchdog") == [IncidentStatus.OPEN]
    assert world.sms.to("+12025550105"), "the rule's plan paged Fay"
    at(world, timedelta(minutes=16))
    world.heartbeats.check()
    world.run_queues()
    assert incidents(world, "heartbeat:watchdog") == [IncidentStatus.OPEN]  # still one
    at(world, timedelta(minutes=20))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving
    world.run_queues()
    assert incidents(world, "heartbeat:watchdog") == [IncidentStatus.RESOLVED]
    resolve = max(world.events.received.values(), key=lambda r: r.event_id).event
    assert resolve.summary == "Heartbeat watchdog is back: pinged at 2026-12-02 01:20:00 UTC"


def test_a_ping_says_when_the_next_is_due(world: MemoryWorld) -> None:
    ping = at(world, timedelta(minutes=3)).heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert ping.due_by == START + timedelta(minutes=18) and not ping.resolving
    state = world.heartbeat_store.items["watchdog"]
    assert (state.pings, state.last_key, state.last_ping_at) == (
        1,
        "alertmanager",
        ping.received_at,
    )


def test_an_undeclared_heartbeat_is_not_found_and_named(world: MemoryWorld) -> None:
    with pytest.raises(NotFound) as caught:
        world.heartbeats.ping("nighlty-backup", BACKUP_KEY)
    assert str(caught.value) == (
        "no heartbeat 'nighlty-backup' is declared in the playbook "
        "(version 1; declared: nightly-backup, watchdog)"
    )
    assert world.heartbeat_store.items == {}


def test_a_key_not_bound_to_the_heartbeat_is_refused_and_nothing_is_recorded(
    world: MemoryWorld,
) -> None:
    with pytest.raises(Forbidden) as caught:
        world.heartbeats.ping("nightly-backup", WATCHDOG_KEY)
    assert "not bound to heartbeat 'nightly-backup' (it is bound to watchdog)" in str(caught.value)
    with pytest.raises(Forbidden, match="bound to no heartbeat"):
        world.heartbeats.ping("watchdog", ApiKey("ops", frozenset()))
    assert world.heartbeat_store.items == {}


def miss_the_watchdog(world: MemoryWorld) -> None:
    world.heartbeats.check()
    at(world, timedelta(minutes=15))
    assert world.heartbeats.check().missed == ["watchdog"]


def test_a_return_waits_for_the_trigger_to_be_decided_so_the_two_never_cross(
    world: MemoryWorld,
) -> None:
    miss_the_watchdog(world)
    # The trigger is still on the queue: a resolve now could be decided before it.
    at(world, timedelta(minutes=16))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    assert world.heartbeats.check().resolved == []
    world.decide_queued()
    at(world, timedelta(minutes=17))
    assert world.heartbeats.check().resolved == ["watchdog"]
    assert actions(world) == [("trigger", "heartbeat:watchdog"), ("resolve", "heartbeat:watchdog")]
    world.run_queues()
    assert incidents(world, "heartbeat:watchdog") == [IncidentStatus.RESOLVED]
    # Back to normal: another ping resolves nothing; silence again is a new miss.
    world.heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert len(world.events.received) == 2
    at(world, timedelta(minutes=17 + 15))
    assert world.heartbeats.check().missed == ["watchdog"]


def test_a_trigger_no_rule_took_is_cleared_without_a_resolve() -> None:
    world = a_world(rules=False)
    miss_the_watchdog(world)
    world.decide_queued()  # suppressed: no rule for heartbeat.missed
    assert at(world, timedelta(minutes=20)).heartbeats.ping("watchdog", WATCHDOG_KEY).resolving
    assert [action for action, _ in actions(world)] == ["trigger"]
    assert world.heartbeat_store.items["watchdog"].missed_at is None


def test_a_trigger_the_queue_refused_is_tried_again_by_the_next_tick(world: MemoryWorld) -> None:
    world.heartbeats.check()
    at(world, timedelta(minutes=15))
    world.event_queue.refusing = True
    with pytest.raises(TransientError):
        world.heartbeats.check()
    assert world.heartbeat_store.items["watchdog"].missed_at is None  # the claim was undone
    world.event_queue.refusing = False
    at(world, timedelta(minutes=16))
    assert world.heartbeats.check().missed == ["watchdog"]
    assert actions(world) == [("trigger", "heartbeat:watchdog")]


def test_a_resolve_the_queue_refused_keeps_the_ping_and_the_tick_resolves_later(
    world: MemoryWorld,
) -> None:
    miss_the_watchdog(world)
    world.decide_queued()
    world.event_queue.refusing = True
    at(world, timedelta(minutes=20))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    assert world.heartbeat_store.items["watchdog"].pings == 1
    world.event_queue.refusing = False
    assert world.heartbeats.check().resolved == ["watchdog"]


def test_a_claim_whose_trigger_was_never_recorded_stops_blocking_after_ten_minutes(
    world: MemoryWorld,
) -> None:
    world.heartbeats.check()
    state = world.heartbeat_store.items["watchdog"]
    world.heartbeat_store.mark_missed("watchdog", state.version, START)  # the tick died here
    at(world, timedelta(minutes=5))
    assert world.heartbeats.ping("watchdog", WATCHDOG_KEY).resolving is False
    at(world, timedelta(minutes=10))
    assert world.heartbeats.check().resolved == ["watchdog"]
    assert actions(world) == [("resolve", "heartbeat:watchdog")]


def test_a_heartbeat_the_playbook_no_longer_declares_is_not_checked(world: MemoryWorld) -> None:
    world.heartbeats.check()
    world.playbooks.use(parse_playbook({}))
    at(world, timedelta(days=30))
    assert world.heartbeats.check().missed == []


def test_statuses_say_waiting_ok_late_missed_and_back(world: MemoryWorld) -> None:
    def conditions() -> dict[str, str]:
        return {s.heartbeat.heartbeat_id: s.condition for s in world.heartbeats.statuses()}

    assert conditions() == {
        "nightly-backup": "waiting for a first ping",
        "watchdog": "waiting for a first ping",
    }
    world.heartbeats.ping("watchdog", WATCHDOG_KEY)
    world.heartbeats.check()
    assert conditions()["watchdog"] == "ok"
    at(world, timedelta(minutes=6))
    assert conditions()["watchdog"] == "late"
    [_, watchdog] = world.heartbeats.statuses()
    assert watchdog.due_by == START + timedelta(minutes=15)
    at(world, timedelta(minutes=15))
    world.heartbeats.check()
    assert conditions()["watchdog"] == "missed"
    at(world, timedelta(minutes=16)).heartbeats.ping("watchdog", WATCHDOG_KEY)
    assert conditions()["watchdog"] == "back (resolving)"
