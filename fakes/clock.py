"""A clock that says what the test (or the harness) sets."""

from __future__ import annotations

from datetime import datetime, timedelta


class FixedClock:
    """``clock.current = ...`` or ``clock.advance(minutes=5)``; nothing moves on its own."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, by: timedelta | None = None, **units: float) -> datetime:
        self.current += by if by is not None else timedelta(**units)
        return self.current
