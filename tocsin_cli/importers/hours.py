"""Vendors' restrictions ("on call only weekdays 08:00-17:00") as a layer's ``hours``.

Every vendor's restriction is a set of spans of the week: a start (minutes from Monday 00:00,
local time) and a length. Each span becomes daily windows of at most 24 hours, starting at the
span's own time of day: a window whose ``to`` is earlier than its ``from`` runs past midnight,
and one whose ``to`` equals its ``from`` lasts 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DAY = 24 * 60
WEEK = 7 * DAY
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUPS = {
    frozenset(range(7)): "all",
    frozenset(range(5)): "weekdays",
    frozenset({5, 6}): "weekend",
}


def windows_for_spans(spans: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    """``spans``: (start minute of the week, length in minutes, 1..WEEK) -> ``hours`` windows."""
    days_of: dict[tuple[int, int], set[int]] = {}
    for first, length in spans:
        for offset in range(0, min(length, WEEK), DAY):
            piece = min(DAY, length - offset)
            begins = (first + offset) % WEEK
            key = (begins % DAY, (begins + piece) % DAY)
            days_of.setdefault(key, set()).add(begins // DAY)
    return [
        {"days": _days(days), "from": _clock(begins), "to": _clock(ends)}
        for (begins, ends), days in sorted(days_of.items(), key=lambda kv: (min(kv[1]), kv[0]))
    ]


def _days(days: set[int]) -> list[str]:
    group = _GROUPS.get(frozenset(days))
    return [group] if group else [DAY_NAMES[day] for day in sorted(days)]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
