"""A person's working hours: weekly wall-clock windows in their own time zone. Pure.

Written ``weekdays 09:00-17:00``, ``mon,wed,fri 08:00-12:00``, ``sat-sun 10:00-14:00`` or
``all 22:00-06:00``: days (``mon``..``sun``, ranges ``mon-fri``, lists ``mon,thu``,
``weekdays``, ``weekend``, ``all``), a space, then ``HH:MM-HH:MM``. A window whose end is
earlier than its start runs past midnight and belongs to the day it starts. A person may have
several (a list in JSON; ``;`` between them in CSV). Analytics counts a page outside every
window of its person as out of hours; a person without working hours is never counted so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUPS = {"weekdays": range(5), "weekend": range(5, 7), "all": range(7)}
_WINDOW = re.compile(r"([a-z,-]+) ([0-2]\d:[0-5]\d)-([0-2]\d:[0-5]\d)")
MAX_WINDOWS = 14
EXAMPLE = "'weekdays 09:00-17:00' or 'mon,wed 08:00-12:00'"


@dataclass(frozen=True)
class WorkingWindow:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        wall = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= wall < self.end
        if wall >= self.start:  # past midnight, or the whole day when start == end
            return local.weekday() in self.days
        return wall < self.end and (local.weekday() - 1) % 7 in self.days

    def describe(self) -> str:
        days = ",".join(DAYS[day] for day in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


def parse_window(text: str) -> WorkingWindow:
    """One window; ValueError saying what is wrong (never echoing more than the text)."""
    found = _WINDOW.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"must be days and hours such as {EXAMPLE}")
    try:
        start, end = time.fromisoformat(found[2]), time.fromisoformat(found[3])
    except ValueError:
        raise ValueError(f"has an hour that does not exist; write it as {EXAMPLE}") from None
    return WorkingWindow(_days(found[1]), start, end)


def parse_windows(texts: Sequence[str]) -> tuple[WorkingWindow, ...]:
    if len(texts) > MAX_WINDOWS:
        raise ValueError(f"at most {MAX_WINDOWS} windows a person")
    return tuple(parse_window(text) for text in texts)


def within_hours(windows: Sequence[WorkingWindow], timezone: str, instant: datetime) -> bool:
    """Whether ``instant`` falls in one of the windows, on the person's wall clock."""
    local = instant.astimezone(ZoneInfo(timezone))
    return any(window.contains(local) for window in windows)


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        if part in _GROUPS:
            days.update(_GROUPS[part])
        elif "-" in part and all(p in DAYS for p in part.split("-", 1)):
            first, last = (DAYS.index(p) for p in part.split("-", 1))
            days.update(day % 7 for day in range(first, first + (last - first) % 7 + 1))
        elif part in DAYS:
            days.add(DAYS.index(part))
        else:
            raise ValueError(
                f"names an unknown day {part[:12]!r}: use mon..sun, weekdays, weekend or all"
            )
    return frozenset(days)
