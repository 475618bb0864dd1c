"""iCalendar files -> one schedule each (Grafana OnCall's schedule export, or any calendar of
on-call shifts).

Each event is a shift; whose shift it is comes from its one ``ATTENDEE`` (an email) or else its
``SUMMARY`` (Grafana OnCall writes the username there: map it with ``--map USER=CONTACT_ID``, or
give users their email as username). Recurring events are expanded (``recurring-ical-events``)
over ``--days`` from the import; cancelled events are left out; events with a date only last
the whole day in the schedule's time zone. The schedule's time zone is ``--timezone``, else the
calendar's ``X-WR-TIMEZONE``, else that of its first event. :mod:`.fitting` then finds the
rotation behind the shifts, with overrides where they depart from it, and the import is checked
against the shifts themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from tocsin_cli.importers.drafts import Imported, ScheduleDraft, schedule_unit
from tocsin_cli.importers.findings import Findings, Where
from tocsin_cli.importers.fitting import CalendarShift, fit_rotation
from tocsin_cli.importers.names import Names
from tocsin_cli.importers.people import People
from tocsin_cli.importers.reading import time_zone

VENDOR = "iCalendar"
DEFAULT_DAYS = 90
# Grafana OnCall's export says REFRESH-INTERVAL;VALUE=DURATION:P1H, which is not a valid
# duration (PT1H is); the import needs no refresh interval, so the line is dropped before parsing.
_REFRESH = re.compile(rb"^REFRESH-INTERVAL[^\r\n]*\r?\n", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class CalendarOptions:
    schedule: str | None = None
    timezone: str | None = None
    days: int = DEFAULT_DAYS


def read(
    paths: Sequence[Path],
    people: People,
    as_of: datetime,
    prefix: str = "",
    options: CalendarOptions | None = None,
) -> Imported:
    chosen = options or CalendarOptions()
    imported = Imported(VENDOR, "ical", [path.name for path in paths])
    names = Names(prefix)
    for path in paths:
        draft = _schedule(path, people, as_of, chosen, names, imported.findings)
        if draft is not None:
            imported.schedules.append(draft)
    return imported


def _schedule(
    path: Path,
    people: People,
    as_of: datetime,
    options: CalendarOptions,
    names: Names,
    findings: Findings,
) -> ScheduleDraft | None:
    where = Where(path.name)
    try:
        calendar = icalendar.Calendar.from_ical(_REFRESH.sub(b"", path.read_bytes()))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        findings.problem(where, f"is not an iCalendar file: {error}")
        return None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        findings.problem(where, "is not an iCalendar file (no VCALENDAR)")
        return None
    title = str(calendar.get("X-WR-CALNAME") or calendar.get("NAME") or path.stem)
    schedule_id = names.make(options.schedule or title, path.stem, fallback="calendar")
    unit = schedule_unit(schedule_id)
    zone_text = (
        options.timezone or str(calendar.get("X-WR-TIMEZONE") or "") or _first_zone(calendar)
    )
    if not zone_text:
        findings.problem(
            where,
            "says nothing of its time zone (no X-WR-TIMEZONE, no TZID): give --timezone",
            unit,
        )
        return None
    zone = time_zone(zone_text, where.at("X-WR-TIMEZONE"), findings, unit)
    if zone is None:
        return None
    if not options.timezone and zone in ("UTC", "Etc/UTC"):
        findings.note(
            where,
            "the calendar says UTC (Grafana OnCall's export always does): hand-offs are kept "
            "in UTC; give --timezone (e.g. Europe/Copenhagen) for hand-offs that follow the "
            "team's summer time",
        )
    start, end = as_of, as_of + timedelta(days=options.days)
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except (ValueError, TypeError, recurring_ical_events.InvalidCalendar) as error:
        findings.problem(where, f"its events cannot be read: {error}", unit)
        return None
    shifts = []
    for event in occurrences:
        shift = _shift(event, where, zone, start, end, people, findings, unit)
        if shift is not None:
            shifts.append(shift)
    if any(p.unit == unit for p in findings.problems):
        return None
    fitted = fit_rotation(shifts, zone, where, findings, unit)
    if fitted is None:
        return None
    findings.note(where, f"schedule {schedule_id}: {fitted.summary}")
    body: dict[str, Any] = {
        "id": schedule_id,
        "description": f"Imported from the calendar {title}",
        "timezone": zone,
        "layers": [fitted.layer],
    }
    if fitted.overrides:
        body["overrides"] = fitted.overrides
    return ScheduleDraft(
        schedule_id, where, f"calendar '{title}'", body, fitted.rendering, "the calendar"
    )


def _shift(
    event: Any,
    where: Where,
    zone: str,
    start: datetime,
    end: datetime,
    people: People,
    findings: Findings,
    unit: str,
) -> CalendarShift | None:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    tz = ZoneInfo(zone)
    begins = _moment(event.get("DTSTART"), tz)
    ends = _moment(event.get("DTEND"), tz)
    uid = str(event.get("UID") or "no UID")
    at = Where(
        where.file,
        f"VEVENT {uid}" + (f" ({begins.astimezone(tz):%Y-%m-%d %H:%M})" if begins else ""),
    )
    if begins is not None and ends is None:
        duration = event.get("DURATION")
        if duration is not None and isinstance(duration.dt, timedelta):
            ends = begins + duration.dt
        elif isinstance(getattr(event.get("DTSTART"), "dt", None), date) and not isinstance(
            event["DTSTART"].dt, datetime
        ):
            ends = begins + timedelta(days=1)
    if begins is None or ends is None or ends <= begins:
        findings.problem(at, "has no start, or no end after its start", unit)
        return None
    begins, ends = max(begins, start), min(ends, end)
    if ends <= begins:
        return None
    summary = str(event.get("SUMMARY") or "").strip()
    contact = people.contact_for(
        [*_attendees(event), summary], f"'{summary or '(no summary)'}'", at, findings, unit
    )
    return CalendarShift(begins, ends, contact, at) if contact else None


def _moment(value: Any, tz: ZoneInfo) -> datetime | None:
    moment = getattr(value, "dt", None)
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=tz).astimezone(UTC)
    return None


def _attendees(event: Any) -> list[str]:
    found = event.get("ATTENDEE")
    values = found if isinstance(found, list) else [found] if found is not None else []
    addresses = [str(v).removeprefix("mailto:").removeprefix("MAILTO:") for v in values]
    return addresses if len(addresses) == 1 else []


def _first_zone(calendar: Any) -> str:
    for component in calendar.walk("VTIMEZONE"):
        return str(component.get("TZID") or "")
    for event in calendar.walk("VEVENT"):
        moment = getattr(event.get("DTSTART"), "dt", None)
        zone = getattr(getattr(moment, "tzinfo", None), "key", None)
        if zone:
            return str(zone)
    return ""
