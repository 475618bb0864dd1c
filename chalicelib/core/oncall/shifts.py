"""Who holds the pager at an instant, and where nobody does. Pure.

At an instant, the first layer of the schedule with someone on call wins, so a "business hours"
layer can sit above a round-the-clock one. Overrides (entered through the API or CLI, kept in
DynamoDB) win over the layers: one with ``covers`` stands in for that person only while they are
on call; one without takes the whole schedule for its period. The latest-starting override wins
where two overlap. The overrides a schedule declares in the playbook count like the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from chalicelib.core.playbook.overrides import Override
from chalicelib.core.playbook.rotations import OnCallSchedule

__all__ = [
    "MAX_RANGE",
    "Override",
    "OverrideSource",
    "Shift",
    "coverage",
    "describe_shift",
    "gaps",
    "on_call",
]

MAX_RANGE = timedelta(days=92)  # the longest span coverage is computed over


class OverrideSource(Protocol):
    def overrides(self, schedule_id: str, start: datetime, end: datetime) -> list[Override]: ...


@dataclass(frozen=True)
class Shift:
    """A stretch of time with one answer to "who is on call"; ``contact_id`` None is a gap."""

    start: datetime
    end: datetime
    contact_id: str | None
    source: str  # "layer primary", "override o-123", or "nobody"

    @property
    def is_gap(self) -> bool:
        return self.contact_id is None


def on_call(
    schedule: OnCallSchedule, overrides: Sequence[Override], instant: datetime
) -> tuple[str | None, str]:
    """(contact id or None, where the answer came from) at ``instant``; ``overrides`` are the
    stored ones, the schedule's own count as well."""
    active = sorted(
        (o for o in (*schedule.overrides, *overrides) if o.applies(instant)),
        key=lambda o: (o.start, o.override_id),
    )
    whole = [o for o in active if o.covers is None]
    if whole:
        return whole[-1].contact_id, f"override {whole[-1].override_id}"
    for layer in schedule.layers:
        person = layer.on_call(instant)
        if person is None:
            continue
        standing_in = [o for o in active if o.covers == person]
        if standing_in:
            return standing_in[-1].contact_id, f"override {standing_in[-1].override_id}"
        return person, f"layer {layer.layer_id}"
    return None, "nobody"


def coverage(
    schedule: OnCallSchedule, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[Shift]:
    """Who is on call over [start, end), as contiguous shifts; gaps are shifts with nobody."""
    if end <= start:
        raise ValueError("the end of the range must be after its start")
    if end - start > MAX_RANGE:
        raise ValueError(f"ask for at most {MAX_RANGE.days} days at a time")
    edges = {start}
    for layer in schedule.layers:
        edges.update(layer.boundaries(start, end))
    for override in (*schedule.overrides, *overrides):
        edges.update(at for at in (override.start, override.end) if start < at < end)
    ordered = sorted(at.astimezone(UTC) for at in edges)
    shifts: list[Shift] = []
    for at, following in zip(ordered, [*ordered[1:], end], strict=True):
        person, source = on_call(schedule, overrides, at)
        if shifts and shifts[-1].contact_id == person and shifts[-1].source == source:
            shifts[-1] = Shift(shifts[-1].start, following, person, source)
        else:
            shifts.append(Shift(at, following, person, source))
    return shifts


def gaps(shifts: Iterable[Shift]) -> list[Shift]:
    return [shift for shift in shifts if shift.is_gap]


def describe_shift(shift: Shift, timezone: str, who: str | None = None) -> str:
    """One line: start -> end in the schedule's zone, who (a name where the caller knows it)."""
    zone = ZoneInfo(timezone)
    start = shift.start.astimezone(zone)
    end = shift.end.astimezone(zone)
    person = who or shift.contact_id or "NOBODY (gap)"
    return f"{start:%Y-%m-%d %H:%M %Z} -> {end:%Y-%m-%d %H:%M %Z}  {person}  ({shift.source})"
