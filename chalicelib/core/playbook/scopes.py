"""Which events a rule or a maintenance window covers, and when: scopes and time windows.

Pure. Wall-clock windows are read in an IANA time zone, so "weekdays 08:00-18:00
Europe/Copenhagen" means the same office hours in winter (UTC+1) and summer (UTC+2). A window whose
end is earlier than its start runs past midnight ("22:00-06:00") and belongs to the day it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.events import is_event_type
from chalicelib.core.fields import (
    read_clock_time,
    read_identifier,
    read_identifiers,
    read_instant,
    read_list,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.model import CanonicalEvent

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_GROUPS = {"weekdays": DAYS[:5], "weekend": DAYS[5:], "all": DAYS}
MAX_MAINTENANCE = timedelta(days=31)


def matches_type(pattern: str, event_type: str) -> bool:
    """``cyber.*`` matches ``cyber.data_breach`` and ``cyber.x.y``; ``*`` matches everything."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@dataclass(frozen=True)
class LabelMatch:
    """``labels: {env: prod, service: [api, web], team: "*"}``: each key must be present with
    one of the listed values (``*``: any value)."""

    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def first_mismatch(self, labels: Mapping[str, str]) -> str | None:
        for name, values in self.required.items():
            actual = labels.get(name)
            if actual is None:
                return f"label {name} missing"
            if "*" not in values and actual not in values:
                return f"label {name}={actual} not in {', '.join(values)}"
        return None


@dataclass(frozen=True)
class EventScope:
    """Types (with wildcards), sources (shell-style wildcards) and labels; empty means any."""

    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    labels: LabelMatch = field(default_factory=LabelMatch)

    def covers_type(self, event_type: str) -> bool:
        return not self.types or any(matches_type(pattern, event_type) for pattern in self.types)

    def covers_source(self, source: str) -> bool:
        return not self.sources or any(fnmatchcase(source, pattern) for pattern in self.sources)

    def covers(self, event: CanonicalEvent) -> bool:
        return (
            self.covers_type(event.type)
            and self.covers_source(event.source)
            and self.labels.first_mismatch(event.labels) is None
        )


@dataclass(frozen=True)
class DailyWindow:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        wall = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= wall < self.end
        # Past midnight: the early hours belong to the window that began the day before.
        if wall >= self.start:
            return local.weekday() in self.days
        return wall < self.end and (local.weekday() - 1) % 7 in self.days

    def describe(self) -> str:
        days = ",".join(DAYS[day] for day in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class ActiveHours:
    """When a rule may activate: any of ``windows``, in ``timezone``."""

    timezone: str
    windows: tuple[DailyWindow, ...]

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone))
        return any(window.contains(local) for window in self.windows)

    def describe(self) -> str:
        return "; ".join(window.describe() for window in self.windows) + f" {self.timezone}"


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned work: matching events between ``start`` and ``end`` activate nothing."""

    window_id: str
    start: datetime
    end: datetime
    scope: EventScope
    rules: tuple[str, ...] = ()  # limit to these rules; empty: every rule
    description: str = ""

    def covers(self, event: CanonicalEvent, rule_id: str, at: datetime) -> bool:
        return (
            self.start <= at < self.end
            and (not self.rules or rule_id in self.rules)
            and self.scope.covers(event)
        )


def parse_scope(document: Mapping[str, Any], path: str) -> EventScope:
    """The ``types``, ``sources`` and ``labels`` fields of a rule's match or a window's scope."""
    types = tuple(
        read_type_pattern(value, f"{path}.types[{index}]")
        for index, value in enumerate(read_list(document.get("types", []), f"{path}.types"))
    )
    sources = tuple(
        _non_empty(value, f"{path}.sources[{index}]")
        for index, value in enumerate(read_list(document.get("sources", []), f"{path}.sources"))
    )
    return EventScope(types=types, sources=sources, labels=_parse_labels(document, path))


def read_type_pattern(value: Any, path: str) -> str:
    text = read_string(value, path)
    bare = text.removesuffix(".*")
    if text != "*" and not is_event_type(bare):
        raise InvalidPolicy(path, f"{text!r} is not an event type or a pattern such as 'cyber.*'")
    return text


def _parse_labels(document: Mapping[str, Any], path: str) -> LabelMatch:
    labels = document.get("labels", {})
    if not isinstance(labels, Mapping):
        raise InvalidPolicy(f"{path}.labels", "must be a mapping of label to value(s)")
    required: dict[str, tuple[str, ...]] = {}
    for name, value in labels.items():
        where = f"{path}.labels.{name}"
        values = value if isinstance(value, list) else [value]
        if not values:
            raise InvalidPolicy(where, "must name at least one value")
        required[str(name)] = tuple(_non_empty(item, where) for item in values)
    return LabelMatch(required)


def _non_empty(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidPolicy(path, "must be a string")
    text = str(value)
    if not text:
        raise InvalidPolicy(path, "must not be empty")
    return text


def parse_active_hours(document: Any, path: str) -> ActiveHours:
    """``{timezone: Europe/Oslo, windows: [{days: [weekdays], from: '08:00', to: '18:00'}]}``"""
    fields = read_object(document, path, required={"timezone", "windows"}, optional=set())
    timezone = read_timezone(fields["timezone"], f"{path}.timezone")
    windows = []
    for index, window in enumerate(read_list(fields["windows"], f"{path}.windows")):
        where = f"{path}.windows[{index}]"
        spec = read_object(window, where, required={"from", "to"}, optional={"days"})
        start = read_clock_time(spec["from"], f"{where}.from")
        end = read_clock_time(spec["to"], f"{where}.to")
        if start == end:
            raise InvalidPolicy(f"{where}.to", "must differ from 'from'")
        windows.append(
            DailyWindow(_parse_days(spec.get("days", ["all"]), f"{where}.days"), start, end)
        )
    if not windows:
        raise InvalidPolicy(f"{path}.windows", "must list at least one window")
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


def parse_maintenance(document: Any, path: str) -> MaintenanceWindow:
    fields = read_object(
        document,
        path,
        required={"id", "start", "end"},
        optional={"description", "timezone", "scope", "rules"},
    )
    zone = read_timezone(fields["timezone"], f"{path}.timezone") if "timezone" in fields else None
    start = read_instant(fields["start"], f"{path}.start", zone)
    end = read_instant(fields["end"], f"{path}.end", zone)
    if end <= start:
        raise InvalidPolicy(f"{path}.end", "must be after start")
    if end - start > MAX_MAINTENANCE:
        raise InvalidPolicy(f"{path}.end", "a maintenance window may last at most 31 days")
    if "scope" not in fields and "rules" not in fields:
        raise InvalidPolicy(path, "must say what it covers: a scope, rules, or both")
    scope_document = read_object(
        fields.get("scope", {}),
        f"{path}.scope",
        required=set(),
        optional={"types", "sources", "labels"},
    )
    return MaintenanceWindow(
        window_id=read_identifier(fields["id"], f"{path}.id"),
        start=start,
        end=end,
        scope=parse_scope(scope_document, f"{path}.scope"),
        rules=read_identifiers(fields.get("rules", []), f"{path}.rules"),
        description=read_string(fields.get("description", ""), f"{path}.description"),
    )
