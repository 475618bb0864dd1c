"""One contract suite for each watching store, run against the DynamoDB adapter under moto and
against the in-memory fake the unit tests use, so the fake cannot drift."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core.model import Channel
from chalicelib.core.watch.ports import CanaryRound
from chalicelib.settings import Settings
from chalicelib.storage.canaries import DynamoCanaryRounds
from chalicelib.storage.heartbeats import DynamoHeartbeatStore
from fakes.watch import MemoryCanaryRounds, MemoryHeartbeatStore
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def make(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    def build(kind: str) -> Any:
        if request.param == "fake":
            return MemoryHeartbeatStore() if kind == "heartbeats" else MemoryCanaryRounds()
        tables: boto3.Session = request.getfixturevalue("tables")
        settings: Settings = request.getfixturevalue("settings")
        adapter = DynamoHeartbeatStore if kind == "heartbeats" else DynamoCanaryRounds
        return adapter(tables.client("dynamodb"), settings.incidents_table)

    return build


def test_watching_then_pinging_keeps_the_first_sight_and_counts_pings(make: Any) -> None:
    store = make("heartbeats")
    assert store.states(["backup"]) == {}
    watched = store.watch("backup", NOW)
    assert (watched.watched_since, watched.last_ping_at, watched.pings) == (NOW, None, 0)
    assert store.watch("backup", NOW + timedelta(hours=1)).watched_since == NOW
    pinged = store.ping("backup", NOW + timedelta(minutes=5), "backup-job")
    assert (pinged.watched_since, pinged.last_ping_at, pinged.last_key, pinged.pings) == (
        NOW,
        NOW + timedelta(minutes=5),
        "backup-job",
        1,
    )
    assert store.ping("backup", NOW + timedelta(minutes=6), "backup-job").pings == 2
    first_ping = make("heartbeats").ping("fresh", NOW, "k")
    assert first_ping.watched_since == NOW  # a ping before any tick starts the watch too
    assert store.states(["backup", "unknown"]) == {"backup": store.states(["backup"])["backup"]}


def test_a_miss_is_claimed_once_on_the_version_read_and_cleared_once(make: Any) -> None:
    store = make("heartbeats")
    seen = store.watch("backup", NOW)
    store.ping("backup", NOW + timedelta(minutes=1), "k")  # a ping after the tick read
    assert store.mark_missed("backup", seen.version, NOW + timedelta(hours=2)) is False
    current = store.states(["backup"])["backup"]
    missed_at = NOW + timedelta(hours=3)
    assert store.mark_missed("backup", current.version, missed_at) is True
    again = store.states(["backup"])["backup"]
    assert store.mark_missed("backup", again.version, missed_at) is False  # already missed
    assert store.missed_sent("backup", NOW, "evt_other") is False
    assert store.missed_sent("backup", missed_at, "evt_1") is True
    state = store.states(["backup"])["backup"]
    assert (state.missed_at, state.missed_event_id) == (missed_at, "evt_1")
    assert store.clear_missed("backup", NOW) is False
    assert store.clear_missed("backup", missed_at) is True
    assert store.clear_missed("backup", missed_at) is False
    cleared = store.states(["backup"])["backup"]
    assert (cleared.missed_at, cleared.missed_event_id) == (None, None)
    assert store.mark_missed("nobody", 0, NOW) is False


def a_round(slot: datetime, incident_id: str = "inc_1") -> CanaryRound:
    return CanaryRound(
        "hourly",
        slot,
        slot + timedelta(seconds=30),
        incident_id,
        slot + timedelta(minutes=15, seconds=30),
        (("c-canary", Channel.SMS), ("c-canary", Channel.EMAIL)),
    )


def test_a_round_begins_once_per_slot_and_is_judged_once(make: Any) -> None:
    rounds = make("rounds")
    assert rounds.recent_rounds("hourly") == []
    assert rounds.begin(a_round(NOW)) is True
    assert rounds.begin(a_round(NOW, "inc_2")) is False
    assert rounds.recent_rounds("hourly") == [a_round(NOW)]
    assert rounds.judged("hourly", NOW, {"sms": "delivered", "email": "to c-canary: x"}) is True
    assert rounds.judged("hourly", NOW, {"sms": "delivered"}) is False
    assert rounds.judged("hourly", NOW + timedelta(hours=9), {"sms": "delivered"}) is False
    [judged] = rounds.recent_rounds("hourly")
    assert judged.verdict == {"sms": "delivered", "email": "to c-canary: x"}


def test_recent_rounds_are_the_latest_five_oldest_first(make: Any) -> None:
    rounds = make("rounds")
    for hour in range(8):
        rounds.begin(a_round(NOW + timedelta(hours=hour), f"inc_{hour}"))
    assert [r.incident_id for r in rounds.recent_rounds("hourly")] == [
        "inc_3",
        "inc_4",
        "inc_5",
        "inc_6",
        "inc_7",
    ]
    assert rounds.recent_rounds("other") == []


def test_the_failing_channels_are_saved_only_on_the_version_read(make: Any) -> None:
    rounds = make("rounds")
    state = rounds.state("hourly")
    assert (state.failing, state.version) == (frozenset(), 0)
    assert rounds.save_state("hourly", frozenset({Channel.VOICE}), 0) is True
    assert rounds.save_state("hourly", frozenset(), 0) is False
    saved = rounds.state("hourly")
    assert saved.failing == {Channel.VOICE}
    assert rounds.save_state("hourly", frozenset(), saved.version) is True
    assert rounds.state("hourly").failing == frozenset()
