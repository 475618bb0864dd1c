"""Active hours: wall-clock windows in an IANA time zone, for rules and on-call layers. Pure.

"weekdays 08:00-18:00 Europe/Copenhagen" means the same office hours in winter (UTC+1) and summer
(UTC+2). A window whose end is earlier than its start runs past midnight ("22:00-06:00") and
belongs to the day it starts; one whose end equals its start lasts 24 hours ("00:00-00:00" is
the whole day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    read_clock_time,
    read_list,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.working_hours import DAYS, WorkingWindow

_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_GROUPS = {"weekdays": DAYS[:5], "weekend": DAYS[5:], "all": DAYS}


@dataclass(frozen=True)
class ActiveHours:
    """When a rule may activate: any of ``windows``, in ``timezone``."""

    timezone: str
    windows: tuple[WorkingWindow, ...]

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone))
        return any(window.contains(local) for window in self.windows)

    def describe(self) -> str:
        return "; ".join(window.describe() for window in self.windows) + f" {self.timezone}"

    def next_open(self, instant: datetime) -> datetime:
        """When the next window opens after ``instant`` (its start on its day, in the zone's
        offset of that day); ``instant`` itself when it is inside one."""
        if self.contains(instant):
            return instant
        zone = ZoneInfo(self.timezone)
        today = instant.astimezone(zone).date()
        starts = [
            datetime.combine(day, window.start, zone)
            for day in (today + timedelta(days=offset) for offset in range(8))
            for window in self.windows
            if day.weekday() in window.days
        ]
        return min(start for start in starts if start > instant)


def parse_active_hours(document: Any, path: str) -> ActiveHours:
    """``{timezone: Europe/Oslo, windows: [{days: [weekdays], from: '08:00', to: '18:00'}]}``"""
    fields = read_object(document, path, required={"timezone", "windows"}, optional=set())
    timezone = read_timezone(fields["timezone"], f"{path}.timezone")
    return parse_windows(fields["windows"], f"{path}.windows", timezone)


def parse_windows(document: Any, path: str, timezone: str) -> ActiveHours:
    """A list of daily windows read in ``timezone`` (an on-call layer's ``hours``); errors carry
    the path of the list as it stands in the file."""
    windows = []
    for index, window in enumerate(read_list(document, path)):
        where = f"{path}[{index}]"
        spec = read_object(window, where, required={"from", "to"}, optional={"days"})
        start = read_clock_time(spec["from"], f"{where}.from")
        end = read_clock_time(spec["to"], f"{where}.to")
        windows.append(
            WorkingWindow(_parse_days(spec.get("days", ["all"]), f"{where}.days"), start, end)
        )
    if not windows:
        raise InvalidPolicy(path, "must list at least one window")
    return ActiveHours(timezone=timezone, windows=tuple(windows))


def _parse_days(value: Any, path: str) -> frozenset[int]:
    days: set[int] = set()
    for index, item in enumerate(read_list(value, path)):
        text = read_string(item, f"{path}[{index}]").lower()
        if text in _DAY_GROUPS:
            days.update(DAYS.index(day) for day in _DAY_GROUPS[text])
        elif text[:3] in DAYS and _FULL_DAYS[DAYS.index(text[:3])].startswith(text):
            days.add(DAYS.index(text[:3]))
        else:
            raise InvalidPolicy(
                f"{path}[{index}]",
                f"must be a day (mon..sun), weekdays, weekend or all; got {text!r}",
            )
    if not days:
        raise InvalidPolicy(path, "must name at least one day")
    return frozenset(days)
