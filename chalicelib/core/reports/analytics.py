"""Figures over a period: MTTA, MTTR, pages per person, drill pass rate. Pure.

- **MTTA**: from the trigger (the event received, or the activation requested by hand) to the
  first acknowledgement that counted. An incident nobody acknowledged is left out of the sample
  and counted apart (``unacknowledged``): a mean over "never" would have to invent a number.
- **MTTR**: from the trigger to resolution. An incident still open is left out and counted
  apart (``still_open``), as is one cancelled at the gate (``cancelled``: nobody was paged).
  Resolution times are skewed (one forgotten incident resolved weeks later), so the median
  and p90 (nearest rank) stand beside the mean; read the median first.
- Real incidents and exercises (drills, tests) are counted apart, each by type and severity.
- **Pages**: a person alerted at one escalation step of one incident, however many channels
  carried it, at the moment its first message was handed to AWS; out of hours when that moment
  is outside every window of the person's working hours (people without working hours: never).
- **Drill pass rate**: drills passed over drills with targets, per calendar month, from the
  drill results given (the drills' own records).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.reports.stats import median, percentile
from chalicelib.core.working_hours import parse_windows, within_hours


@dataclass(frozen=True)
class IncidentFacts:
    """What analytics needs of one incident (read from its report's timings)."""

    incident_id: str
    type: str
    severity: str
    exercise: bool
    status: str  # open | resolved | cancelled | awaiting_approval
    triggered_at: datetime
    first_acknowledged_at: datetime | None
    resolved_at: datetime | None
    pages: tuple[tuple[str, datetime], ...] = ()  # (contact, when the page went out)


@dataclass(frozen=True)
class Hours:
    """A person's working hours, as their contact says."""

    timezone: str
    windows: tuple[str, ...]


@dataclass(frozen=True)
class DrillResult:
    at: datetime
    plan_id: str
    passed: bool


@dataclass(frozen=True)
class Durations:
    count: int
    median: float | None
    p90: float | None
    mean: float | None


@dataclass(frozen=True)
class Responsiveness:
    incidents: int
    mtta: Durations
    mttr: Durations
    unacknowledged: int
    still_open: int
    cancelled: int


@dataclass(frozen=True)
class PersonPages:
    contact_id: str
    pages: int
    out_of_hours: int
    hours_known: bool


@dataclass(frozen=True)
class PassRate:
    month: str  # 2026-12
    passed: int
    drills: int


@dataclass(frozen=True)
class Analytics:
    since: datetime
    until: datetime
    real: Responsiveness
    real_by_type: dict[str, Responsiveness]
    real_by_severity: dict[str, Responsiveness]
    exercises: Responsiveness
    exercises_by_type: dict[str, Responsiveness]
    pages: tuple[PersonPages, ...]  # real incidents
    exercise_pages: tuple[PersonPages, ...]
    drill_pass_rate: tuple[PassRate, ...]
    complete: bool  # False: more incidents in the period than were read (the figures say so)


def durations(seconds: Sequence[float]) -> Durations:
    return Durations(
        count=len(seconds),
        median=median(seconds),
        p90=percentile(seconds, 0.9),
        mean=sum(seconds) / len(seconds) if seconds else None,
    )


def responsiveness(facts: Sequence[IncidentFacts]) -> Responsiveness:
    acked = [
        (f.first_acknowledged_at - f.triggered_at).total_seconds()
        for f in facts
        if f.first_acknowledged_at is not None
    ]
    resolved = [
        (f.resolved_at - f.triggered_at).total_seconds()
        for f in facts
        if f.status == "resolved" and f.resolved_at is not None
    ]
    return Responsiveness(
        incidents=len(facts),
        mtta=durations(acked),
        mttr=durations(resolved),
        unacknowledged=sum(1 for f in facts if f.first_acknowledged_at is None),
        still_open=sum(1 for f in facts if f.status in ("open", "awaiting_approval")),
        cancelled=sum(1 for f in facts if f.status == "cancelled"),
    )


def _by(
    facts: Sequence[IncidentFacts], key: Callable[[IncidentFacts], str]
) -> dict[str, Responsiveness]:
    grouped: dict[str, list[IncidentFacts]] = defaultdict(list)
    for fact in facts:
        grouped[key(fact)].append(fact)
    return {name: responsiveness(grouped[name]) for name in sorted(grouped)}


def pages_per_person(
    facts: Sequence[IncidentFacts], hours: Mapping[str, Hours]
) -> tuple[PersonPages, ...]:
    """Most paged first (then by contact id)."""
    counted: dict[str, list[datetime]] = defaultdict(list)
    for fact in facts:
        for contact, at in fact.pages:
            counted[contact].append(at)
    found = []
    for contact, moments in counted.items():
        known = hours.get(contact)
        windows = parse_windows(known.windows) if known and known.windows else ()
        outside = (
            sum(1 for at in moments if not within_hours(windows, known.timezone, at))
            if known and windows
            else 0
        )
        found.append(PersonPages(contact, len(moments), outside, bool(windows)))
    return tuple(sorted(found, key=lambda p: (-p.pages, p.contact_id)))


def drill_pass_rate(results: Sequence[DrillResult]) -> tuple[PassRate, ...]:
    months: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        months[f"{result.at:%Y-%m}"].append(result.passed)
    return tuple(
        PassRate(month, sum(months[month]), len(months[month])) for month in sorted(months)
    )


def analyse(
    facts: Sequence[IncidentFacts],
    hours: Mapping[str, Hours],
    drills: Sequence[DrillResult],
    since: datetime,
    until: datetime,
    complete: bool = True,
) -> Analytics:
    real = [f for f in facts if not f.exercise]
    exercises = [f for f in facts if f.exercise]
    return Analytics(
        since=since,
        until=until,
        real=responsiveness(real),
        real_by_type=_by(real, lambda f: f.type),
        real_by_severity=_by(real, lambda f: f.severity),
        exercises=responsiveness(exercises),
        exercises_by_type=_by(exercises, lambda f: f.type),
        pages=pages_per_person(real, hours),
        exercise_pages=pages_per_person(exercises, hours),
        drill_pass_rate=drill_pass_rate(drills),
        complete=complete,
    )
