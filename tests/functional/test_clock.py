"""The clock, the system's and the fake, says the time in UTC, with its zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.ports import Clock
from chalicelib.wiring import SystemClock
from fakes import FixedClock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("clock", [FixedClock(NOW), SystemClock()], ids=["fake", "system"])
def test_the_clock_says_an_aware_utc_instant(clock: Clock) -> None:
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert clock.now() >= now


def test_the_fake_clock_moves_only_when_told() -> None:
    clock = FixedClock(NOW)
    assert clock.now() == clock.now() == NOW
    assert clock.advance(minutes=5) == NOW + timedelta(minutes=5) == clock.now()
    clock.current = NOW
    assert clock.now() == NOW
