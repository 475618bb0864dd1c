"""Scheduled triggers (ScheduledTriggers), on the fakes: each slot fires once, and its event
takes the whole path like any other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.errors import TransientError
from fakes import MemoryWorld
from tests.unit.conftest import inboxes

MONDAY_TEN_COPENHAGEN = datetime(2026, 11, 23, 9, 2, tzinfo=UTC)


@pytest.fixture
def monday() -> MemoryWorld:
    return MemoryWorld.example(MONDAY_TEN_COPENHAGEN)


def test_the_weekly_path_test_fires_once_and_reaches_it_security(monday: MemoryWorld) -> None:
    fired = monday.scheduled_triggers.fire_due()
    monday.clock.advance(minutes=1)
    assert monday.scheduled_triggers.fire_due() == []  # the next tick: already fired
    assert len(fired) == 1
    monday.run_queues()
    assert sorted(inboxes(monday)) == ["chen@example.com", "fay@example.com"]
    assert all((s.message.subject or "").startswith("[EXERCISE] ") for s in monday.email.sent)
    received = monday.events.received[fired[0]]
    assert (received.format, received.original) == (
        "schedule",
        {"schedule": "weekly-path-test", "slot": "2026-11-23T09:00:00+00:00"},
    )


def test_nothing_fires_outside_a_slot() -> None:
    tuesday = MemoryWorld.example(datetime(2026, 11, 24, 9, 2, tzinfo=UTC))
    assert tuesday.scheduled_triggers.fire_due() == []


def test_a_missed_tick_still_fires_and_a_refused_queue_lets_the_next_tick_retry(
    monday: MemoryWorld,
) -> None:
    monday.event_queue.refusing = True
    with pytest.raises(TransientError):
        monday.scheduled_triggers.fire_due()
    monday.event_queue.refusing = False
    monday.clock.advance(minutes=10)  # ticks were missed meanwhile
    assert len(monday.scheduled_triggers.fire_due()) == 1
