"""The secret moment of a surprise drill: a minute drawn at random, evenly, among the minutes
inside its window (its weekdays and time of day, in its time zone) from now until its end.

Drawn with the operating system's randomness (``secrets``), so nobody can work the moment out
from the request's time; tests inject their own ``randbelow``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.core.playbook.drill_request import SurpriseWindow

MINUTE = timedelta(minutes=1)


def is_inside(window: SurpriseWindow, at: datetime) -> bool:
    """Whether ``at`` falls on one of the window's weekdays and times of day (a window past
    midnight belongs to the day it starts on)."""
    local = at.astimezone(ZoneInfo(window.timezone))
    clock = local.time().replace(tzinfo=None)
    if window.start < window.end:
        return local.weekday() in window.weekdays and window.start <= clock < window.end
    if clock >= window.start:
        return local.weekday() in window.weekdays
    yesterday = (local.weekday() - 1) % 7
    return clock < window.end and yesterday in window.weekdays


def candidate_minutes(window: SurpriseWindow, now: datetime) -> Iterator[datetime]:
    """Every whole minute after ``now`` and before the window's end that lies inside it."""
    at = (now.astimezone(UTC) + MINUTE).replace(second=0, microsecond=0)
    until = window.until.astimezone(UTC)
    while at < until:
        if is_inside(window, at):
            yield at
            at += MINUTE
        else:
            at = _next_start(window, at)


def pick_moment(
    window: SurpriseWindow, now: datetime, randbelow: Callable[[int], int] = secrets.randbelow
) -> datetime | None:
    """A minute inside the window, or None when none is left before its end."""
    count = sum(1 for _ in candidate_minutes(window, now))
    if count == 0:
        return None
    chosen = randbelow(count)
    return next(at for index, at in enumerate(candidate_minutes(window, now)) if index == chosen)


def _next_start(window: SurpriseWindow, at: datetime) -> datetime:
    """The next minute after ``at`` at which the window's time of day starts (whatever the
    weekday: the caller checks it), at least a minute on."""
    zone = ZoneInfo(window.timezone)
    local = at.astimezone(zone)
    day = local.date()
    for offset in range(2):
        start = datetime.combine(day + timedelta(days=offset), window.start, zone)
        if start.astimezone(UTC) > at:
            return start.astimezone(UTC)
    return at + MINUTE
