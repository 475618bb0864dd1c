"""A rotation that explains a calendar's shifts, and overrides for where it does not.

A calendar (Grafana OnCall's export, say) lists shifts, not the rotation behind them. This finds
the rotation: the usual time between hand-offs (the turn), the usual hand-off time, the
shortest order of people that repeats (each person in the order costs as much as an override,
so a one-off swap stays an override instead of lengthening the order), and, when the shifts
leave gaps, the weekly hours they keep to. Every shift the rotation does not reproduce becomes
an override, so that over the calendar's span the schedule pages exactly whom the calendar
names; after it, the rotation goes on. A gap that does not repeat weekly cannot be expressed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.oncall.shifts import coverage
from chalicelib.core.playbook.rotations import OnCallSchedule, Rotation, parse_oncall
from tocsin_cli.importers.drafts import OnCallPeriod
from tocsin_cli.importers.findings import Findings, Where
from tocsin_cli.importers.hours import DAY, WEEK, windows_for_spans
from tocsin_cli.importers.reading import layer_document, rotation_text

MAX_ORDER = 60  # people in the order of turns, at most


@dataclass(frozen=True)
class CalendarShift:
    start: datetime
    end: datetime
    contact_id: str
    where: Where


@dataclass(frozen=True)
class Fitted:
    layer: dict[str, Any]
    overrides: list[dict[str, Any]]
    rendering: list[OnCallPeriod]
    summary: str


def fit_rotation(
    shifts: Sequence[CalendarShift], zone: str, where: Where, findings: Findings, unit: str
) -> Fitted | None:
    merged = _merged(shifts, zone, findings, unit)
    if merged is None:
        return None
    if not merged:
        findings.problem(where, "holds no shift in the period read", unit)
        return None
    tz = ZoneInfo(zone)
    length = _turn_length(merged, tz)
    if length is None:
        findings.problem(where, "its shifts hand over at no whole hour: no rotation fits", unit)
        return None
    anchor = _anchor(merged, length, tz)
    probe = _rotation(("x",), anchor, length, zone, None)
    turns = _turns(merged, probe)
    turn = length
    members, length, back = _compressed(_order(turns), turn)
    anchor = _earlier(anchor, turn * back, tz)
    if rotation_text(length) is None:
        findings.problem(where, f"turns of {length} cannot be expressed", unit)
        return None
    readable, hours = _hours(merged, tz, where, findings, unit)
    if not readable:
        return None
    layer = layer_document("rotation", length, anchor, zone, members, hours)
    schedule = parse_oncall({"id": "fit", "timezone": zone, "layers": [layer]}, "fit")
    overrides = _overrides(merged, schedule.layers[0], zone, findings, unit)
    if overrides is None:
        return None
    local = anchor.astimezone(tz)
    summary = (
        f"a {layer['rotation']} rotation handed over at {local:%H:%M} among "
        f"{', '.join(members)}"
        + (" within weekly hours" if hours else "")
        + f", and {len(overrides)} override(s) where the calendar departs from it; after "
        f"{merged[-1].end.astimezone(tz):%Y-%m-%d %H:%M %Z} the rotation goes on"
    )
    rendering = [OnCallPeriod(s.start, s.end, s.contact_id) for s in merged]
    return Fitted(layer, overrides, rendering, summary)


def _merged(
    shifts: Sequence[CalendarShift], zone: str, findings: Findings, unit: str
) -> list[CalendarShift] | None:
    """Shifts in order, a person's touching or overlapping ones joined; None on an overlap
    between two people (each one reported)."""
    merged: list[CalendarShift] = []
    clean = True
    tz = ZoneInfo(zone)
    for shift in sorted(shifts, key=lambda s: (s.start, s.end)):
        last = merged[-1] if merged else None
        if last is not None and shift.start <= last.end and shift.contact_id == last.contact_id:
            merged[-1] = CalendarShift(
                last.start, max(last.end, shift.end), last.contact_id, last.where
            )
        elif last is not None and shift.start < last.end:
            clean = False
            findings.problem(
                shift.where,
                f"overlaps {last.where.path}: {shift.contact_id} and {last.contact_id} are both "
                f"on call from {shift.start.astimezone(tz):%Y-%m-%d %H:%M} to "
                f"{min(shift.end, last.end).astimezone(tz):%Y-%m-%d %H:%M %Z}; Tocsin pages "
                "one person per schedule (make them two calendars, imported as two schedules)",
                unit,
            )
        else:
            merged.append(shift)
    return merged if clean else None


def _turn_length(merged: Sequence[CalendarShift], tz: ZoneInfo) -> timedelta | None:
    """The most usual time from one hand-off to the next: whole days when the wall-clock time
    is the same, else whole hours."""
    if len(merged) == 1:
        span = merged[0].end - merged[0].start
        return max(timedelta(days=1), timedelta(days=round(span / timedelta(days=1))))
    found: Counter[timedelta] = Counter()
    for before, after in pairwise(merged):
        a, b = before.start.astimezone(tz), after.start.astimezone(tz)
        if a.time() == b.time():
            found[timedelta(days=(b.date() - a.date()).days)] += 1
        elif (after.start - before.start) % timedelta(hours=1) == timedelta(0):
            found[after.start - before.start] += 1
    if not found:
        return None
    return min(found, key=lambda length: (-found[length], length))


def _anchor(merged: Sequence[CalendarShift], length: timedelta, tz: ZoneInfo) -> datetime:
    """The first hand-off, at or before the first shift, in step with most hand-offs (a
    calendar may begin in the middle of a turn)."""
    if length % timedelta(days=1):
        origin = merged[0].start
        offset = Counter((s.start - origin) % length for s in merged).most_common(1)[0][0]
        anchor = origin + offset
        while anchor > origin:
            anchor -= length
        return anchor
    days = length.days

    def phase(moment: datetime) -> tuple[int, time]:
        local = moment.astimezone(tz)
        return local.date().toordinal() % days, local.time().replace(tzinfo=None)

    usual = Counter(phase(s.start) for s in merged).most_common(1)[0][0]
    aligned = next(s.start for s in merged if phase(s.start) == usual)
    day = aligned.astimezone(tz).date()
    while _at(day, usual[1], tz) > merged[0].start:
        day -= length
    return _at(day, usual[1], tz)


def _earlier(anchor: datetime, span: timedelta, tz: ZoneInfo) -> datetime:
    """``span`` before ``anchor``: on the wall clock for whole days, else in real time."""
    if span % timedelta(days=1):
        return anchor - span
    local = anchor.astimezone(tz)
    return _at(local.date() - span, local.time().replace(tzinfo=None), tz)


def _at(day: Any, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _rotation(
    members: tuple[str, ...], anchor: datetime, length: timedelta, zone: str, hours: Any
) -> Rotation:
    local = anchor.astimezone(ZoneInfo(zone))
    return Rotation(
        "fit", members, local.date(), local.time().replace(tzinfo=None), length, zone, hours
    )


def _turns(merged: Sequence[CalendarShift], probe: Rotation) -> list[str | None]:
    """Who holds most of each turn, from the first to the last shift (None: nobody)."""
    turns: list[str | None] = []
    index = 0
    end = merged[-1].end
    while (begins := probe.shift_start(index)) < end:
        ends = probe.shift_start(index + 1)
        held: Counter[str] = Counter()
        for shift in merged:
            overlap = min(ends, shift.end) - max(begins, shift.start)
            if overlap > timedelta(0):
                held[shift.contact_id] += int(overlap.total_seconds())
        turns.append(held.most_common(1)[0][0] if held else None)
        index += 1
    return turns


def _order(turns: Sequence[str | None]) -> list[str]:
    """The order of people that repeats with the fewest exceptions, each person in it costing
    as much as an exception; turns nobody held take their predecessor's person."""
    known = [t for t in turns if t is not None]
    longest = max(1, min(MAX_ORDER, len(turns) // 2))
    best: tuple[int, int, list[str | None]] | None = None
    for period in range(1, longest + 1):
        order: list[str | None] = []
        misses = 0
        for residue in range(period):
            values = [t for t in turns[residue::period] if t is not None]
            chosen = Counter(values).most_common(1)[0][0] if values else None
            order.append(chosen)
            misses += sum(1 for value in values if value != chosen)
        cost = misses + period
        if best is None or (cost, period) < best[:2]:
            best = (cost, period, order)
    assert best is not None
    filled: list[str] = []
    for member in best[2]:
        filled.append(member or (filled[-1] if filled else known[0]))
    return filled


def _compressed(members: list[str], length: timedelta) -> tuple[list[str], timedelta, int]:
    """``[a, a, a, b, b, b]`` of days -> ``[a, b]`` of three days, and how many turns earlier
    the longer turns begin (``[a, b, b, b, a, a]`` is the same order begun two days later)."""
    size = len(members)
    for run in range(size, 1, -1):
        if size % run:
            continue
        for back in range(run):
            turned = [members[(i - back) % size] for i in range(size)]
            if all(turned[i] == turned[i - i % run] for i in range(size)):
                return turned[::run], length * run, back
    return members, length, 0


def _hours(
    merged: Sequence[CalendarShift], tz: ZoneInfo, where: Where, findings: Findings, unit: str
) -> tuple[bool, list[dict[str, Any]] | None]:
    """(True, None) when the shifts leave no gap; (True, the weekly windows they keep to);
    (False, None), reported, when their gaps do not repeat every week."""
    if all(a.end == b.start for a, b in pairwise(merged)):
        return True, None
    first = merged[0].start.astimezone(tz)
    monday = (first - timedelta(days=first.weekday())).date() + timedelta(days=7)
    patterns = []
    while _at(monday + timedelta(days=7), time(0), tz) <= merged[-1].end:
        begins, ends = _at(monday, time(0), tz), _at(monday + timedelta(days=7), time(0), tz)
        spans = [
            (_minute_of_week(max(s.start, begins), tz), _minute_of_week(min(s.end, ends), tz, ends))
            for s in merged
            if s.start < ends and s.end > begins
        ]
        patterns.append(tuple(_joined(spans)))
        monday += timedelta(days=7)
    if not patterns or len(set(patterns)) != 1:
        findings.problem(
            where,
            "nobody is on call at times that do not repeat every week: Tocsin layers cover "
            "every hour, or the same hours each week (fill the gaps, or read a span with "
            "--days in which they repeat)",
            unit,
        )
        return False, None
    return True, windows_for_spans((start, end - start) for start, end in patterns[0])


def _minute_of_week(moment: datetime, tz: ZoneInfo, week_end: datetime | None = None) -> int:
    if week_end is not None and moment == week_end:
        return WEEK
    local = moment.astimezone(tz)
    return local.weekday() * DAY + local.hour * 60 + local.minute


def _joined(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def _overrides(
    merged: Sequence[CalendarShift],
    layer: Rotation,
    zone: str,
    findings: Findings,
    unit: str,
) -> list[dict[str, Any]] | None:
    """An override for each stretch where the calendar names someone the layer does not."""
    schedule = OnCallSchedule("fit", zone, (layer,))
    tz = ZoneInfo(zone)
    found: list[dict[str, Any]] = []
    at = merged[0].start
    end = merged[-1].end
    while at < end:
        until = min(end, at + timedelta(days=90))
        for stretch in coverage(schedule, [], at, until):
            for shift in merged:
                begins, ends = max(stretch.start, shift.start), min(stretch.end, shift.end)
                if begins < ends and shift.contact_id != stretch.contact_id:
                    _add(found, shift.contact_id, begins, ends, tz)
            hole = _uncovered(stretch.start, stretch.end, merged)
            if stretch.contact_id is not None and hole is not None:
                findings.problem(
                    merged[0].where,
                    f"nobody is on call from {hole[0].astimezone(tz):%Y-%m-%d %H:%M} to "
                    f"{hole[1].astimezone(tz):%Y-%m-%d %H:%M %Z}, unlike the same hours "
                    "in other weeks: Tocsin cannot express a gap that does not repeat",
                    unit,
                )
                return None
        at = until
    return found


def _uncovered(
    start: datetime, end: datetime, merged: Sequence[CalendarShift]
) -> tuple[datetime, datetime] | None:
    """The first stretch of [start, end) that no shift covers."""
    at = start
    for shift in merged:
        if shift.end <= at or shift.start >= end:
            continue
        if shift.start > at:
            return at, shift.start
        at = max(at, shift.end)
    return (at, end) if at < end else None


def _add(
    found: list[dict[str, Any]], contact: str, begins: datetime, ends: datetime, tz: ZoneInfo
) -> None:
    if (
        found
        and found[-1]["contact"] == contact
        and found[-1]["to"] == begins.astimezone(tz).isoformat()
    ):
        found[-1]["to"] = ends.astimezone(tz).isoformat()
        return
    found.append(
        {
            "id": f"calendar-{len(found) + 1}",
            "contact": contact,
            "from": begins.astimezone(tz).isoformat(),
            "to": ends.astimezone(tz).isoformat(),
        }
    )
