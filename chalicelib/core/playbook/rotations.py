"""On-call rotations as the playbook declares them: layers of people who take turns. Pure.

A schedule has layers in priority order; each layer is a rotation of people who hand over at a
wall-clock time in the schedule's IANA time zone, optionally only during some hours.
:mod:`chalicelib.core.oncall.shifts` says who holds the pager at an instant.

Day-based rotations (``day``, ``week``, ``3d``) hand over at the same wall-clock time whatever
the UTC offset, so a 09:00 hand-off stays 09:00 across DST changes (that shift is an hour
shorter or longer). Hour-based ones (``12h``) count real hours from the first hand-off.
A hand-off time skipped by a spring-forward change happens an hour later on the wall clock.
A schedule may also declare overrides known in advance (:mod:`.overrides`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    read_clock_time,
    read_identifier,
    read_list,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.playbook.hours import ActiveHours, parse_windows
from chalicelib.core.playbook.overrides import Override, parse_planned_overrides

_LENGTH = re.compile(r"(\d+)(d|h)")
_NAMED_LENGTHS = {"day": timedelta(days=1), "week": timedelta(days=7)}


@dataclass(frozen=True)
class Rotation:
    """One layer: ``members`` take turns, each for ``length``, from the first hand-off."""

    layer_id: str
    members: tuple[str, ...]
    start: date  # the day of the first hand-off, when members[0] takes over
    handoff: time
    length: timedelta
    timezone: str
    hours: ActiveHours | None = None  # the layer covers only these hours

    @property
    def by_wall_clock(self) -> bool:
        """Whole days hand over at the wall-clock time; hours count real time."""
        return self.length % timedelta(days=1) == timedelta(0)

    def shift_start(self, index: int) -> datetime:
        """When shift ``index`` (0: the first) begins, in UTC."""
        zone = ZoneInfo(self.timezone)
        if self.by_wall_clock:
            day = self.start + index * self.length
            return _local_instant(day, self.handoff, zone)
        return _local_instant(self.start, self.handoff, zone) + index * self.length

    def shift_at(self, instant: datetime) -> int | None:
        """The index of the shift running at ``instant``; None before the first hand-off."""
        first = self.shift_start(0)
        if instant < first:
            return None
        if self.by_wall_clock:
            local_day = instant.astimezone(ZoneInfo(self.timezone)).date()
            index = max((local_day - self.start).days // self.length.days, 0)
        else:
            index = int((instant - first) / self.length)
        # The estimate can be one off around the hand-off time; settle it exactly.
        while index > 0 and self.shift_start(index) > instant:
            index -= 1
        while self.shift_start(index + 1) <= instant:
            index += 1
        return index

    def on_call(self, instant: datetime) -> str | None:
        if self.hours is not None and not self.hours.contains(instant):
            return None
        index = self.shift_at(instant)
        return None if index is None else self.members[index % len(self.members)]

    def boundaries(self, start: datetime, end: datetime) -> Iterable[datetime]:
        """Every instant in [start, end) where this layer's answer may change."""
        first = self.shift_at(start)
        index = 0 if first is None else first
        while (at := self.shift_start(index)) < end:
            if at >= start:
                yield at
            index += 1
        if self.hours is not None:
            yield from _window_edges(self.hours, start, end)


@dataclass(frozen=True)
class OnCallSchedule:
    schedule_id: str
    timezone: str
    layers: tuple[Rotation, ...]
    description: str = ""
    overrides: tuple[Override, ...] = ()  # declared in the playbook; the API adds others

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for layer in self.layers for m in layer.members))


def parse_oncall(document: Any, path: str) -> OnCallSchedule:
    fields = read_object(
        document,
        path,
        required={"id", "timezone", "layers"},
        optional={"description", "overrides"},
    )
    found = Collector()
    timezone = found.read(lambda: read_timezone(fields["timezone"], f"{path}.timezone"), "UTC")
    nothing: Sequence[Any] = ()
    layers_documents = found.read(lambda: read_list(fields["layers"], f"{path}.layers"), nothing)
    layers = [
        found.read(partial(_parse_layer, layer, f"{path}.layers[{index}]", timezone), None)
        for index, layer in enumerate(layers_documents)
    ]
    if not layers_documents and not found.errors:
        found.errors.append(InvalidPolicy(f"{path}.layers", "must have at least one layer"))
    names = [layer.layer_id for layer in layers if layer is not None]
    if len(set(names)) != len(names):
        found.errors.append(InvalidPolicy(f"{path}.layers", "two layers have the same id"))
    schedule_id = found.read(lambda: read_identifier(fields["id"], f"{path}.id"), "")
    members = tuple(m for layer in layers if layer is not None for m in layer.members)
    nothing_planned: tuple[Override, ...] = ()
    planned = nothing_planned
    if fields.get("overrides") is not None:
        planned = found.read(
            partial(
                parse_planned_overrides,
                fields["overrides"],
                f"{path}.overrides",
                schedule_id,
                timezone,
                members,
            ),
            nothing_planned,
        )
    schedule = OnCallSchedule(
        schedule_id=schedule_id,
        timezone=timezone,
        layers=tuple(layer for layer in layers if layer is not None),
        description=found.read(
            lambda: read_string(fields.get("description", ""), f"{path}.description"), ""
        ),
        overrides=planned,
    )
    found.check()
    return schedule


def _parse_layer(document: Any, path: str, timezone: str) -> Rotation:
    fields = read_object(
        document,
        path,
        required={"id", "rotation", "start", "handoff", "members"},
        optional={"hours"},
    )
    members = tuple(
        read_identifier(member, f"{path}.members[{index}]")
        for index, member in enumerate(read_list(fields["members"], f"{path}.members"))
    )
    if not members:
        raise InvalidPolicy(f"{path}.members", "must name at least one contact id")
    hours = parse_windows(fields["hours"], f"{path}.hours", timezone) if "hours" in fields else None
    return Rotation(
        layer_id=read_identifier(fields["id"], f"{path}.id"),
        members=members,
        start=_read_date(fields["start"], f"{path}.start"),
        handoff=read_clock_time(fields["handoff"], f"{path}.handoff"),
        length=_read_length(fields["rotation"], f"{path}.rotation"),
        timezone=timezone,
        hours=hours,
    )


def _read_length(value: Any, path: str) -> timedelta:
    text = str(value).strip().lower()
    if text in _NAMED_LENGTHS:
        return _NAMED_LENGTHS[text]
    match = _LENGTH.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise InvalidPolicy(
            path, f"must be day, week, or a length such as '3d' or '12h'; got {value!r}"
        )
    number, unit = int(match.group(1)), match.group(2)
    return timedelta(days=number) if unit == "d" else timedelta(hours=number)


def _read_date(value: Any, path: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2026-01-05 as a date
    try:
        return date.fromisoformat(read_string(value, path))
    except ValueError:
        raise InvalidPolicy(path, f"must be a date such as '2026-01-05'; got {value!r}") from None


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time. fold=0: a time that a spring-forward change skips
    is read with the offset before it (an hour later on the new wall clock); a time that occurs
    twice is its first occurrence."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _window_edges(hours: ActiveHours, start: datetime, end: datetime) -> Iterable[datetime]:
    zone = ZoneInfo(hours.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for window in hours.windows:
            if day.weekday() not in window.days:
                continue
            opens = _local_instant(day, window.start, zone)
            closing_day = day if window.start < window.end else day + timedelta(days=1)
            closes = _local_instant(closing_day, window.end, zone)
            yield from (at for at in (opens, closes) if start <= at < end)
        day += timedelta(days=1)
