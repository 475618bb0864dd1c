"""Which events a rule or a maintenance window covers: types, sources and labels, and the
maintenance windows during which matching events activate nothing. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.events import is_event_type
from chalicelib.core.fields import (
    read_identifier,
    read_identifiers,
    read_instant,
    read_list,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.model import CanonicalEvent

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
