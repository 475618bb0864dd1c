"""Scheduled triggers from the playbook (e.g. a weekly test of the whole path), in local time.

Pure. ``due_slots`` answers "which firings fall in (since, until]"; wall-clock times are in the
schedule's IANA time zone, so "Monday 10:00 Europe/Copenhagen" stays 10:00 across DST changes.
A time skipped by a spring-forward change fires an hour later on the wall clock (02:30 becomes
03:30); a time that occurs twice on a fall-back day fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.core.errors import InvalidEvent, InvalidPolicy
from chalicelib.core.events import parse_event

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PERIODS = ("day", "week")


@dataclass(frozen=True)
class ScheduledTrigger:
    schedule_id: str
    every: str
    at: time
    timezone: str
    event: Mapping[str, Any] = field(hash=False)
    weekday: int | None = None  # 0 = Monday, for weekly schedules
    description: str = ""

    def event_for(self, slot: datetime) -> dict[str, Any]:
        """The event this schedule sends for ``slot``; its dedup key is unique to the slot."""
        return {
            **self.event,
            "dedup_key": f"schedule:{self.schedule_id}:{slot.isoformat()}",
            "occurred_at": slot.isoformat(),
        }


def due_slots(schedule: ScheduledTrigger, since: datetime, until: datetime) -> list[datetime]:
    """The schedule's firings in (since, until], as UTC instants, oldest first."""
    zone = ZoneInfo(schedule.timezone)
    first_day = since.astimezone(zone).date() - timedelta(days=1)
    last_day = until.astimezone(zone).date()
    slots = []
    day = first_day
    while day <= last_day:
        if schedule.weekday is None or day.weekday() == schedule.weekday:
            # fold=0 (the default): the offset before a change, as described above.
            slot = datetime.combine(day, schedule.at, tzinfo=zone).astimezone(UTC)
            if since < slot <= until:
                slots.append(slot)
        day += timedelta(days=1)
    return slots


def parse_schedule(document: Any, path: str) -> ScheduledTrigger:
    if not isinstance(document, Mapping):
        raise InvalidPolicy(path, "must be a mapping")
    # "day", not "on": YAML 1.1 reads a bare ``on:`` key as the boolean true.
    allowed = {"id", "description", "every", "day", "at", "timezone", "event"}
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise InvalidPolicy(f"{path}.{unknown[0]}", "unknown field")
    for name in ("id", "every", "at", "timezone", "event"):
        if name not in document:
            raise InvalidPolicy(f"{path}.{name}", "is required")
    if not _ID.fullmatch(str(document["id"])):
        raise InvalidPolicy(f"{path}.id", "must be lower-case letters, digits and '-'")
    every = document["every"]
    if every not in PERIODS:
        raise InvalidPolicy(f"{path}.every", f"must be one of {', '.join(PERIODS)}")
    weekday = None
    if every == "week":
        day = str(document.get("day", "")).lower()
        if day not in WEEKDAYS:
            raise InvalidPolicy(
                f"{path}.day", f"a weekly schedule needs a day: {', '.join(WEEKDAYS)}"
            )
        weekday = WEEKDAYS.index(day)
    elif "day" in document:
        raise InvalidPolicy(f"{path}.day", "only weekly schedules take a day")
    try:
        at = time.fromisoformat(str(document["at"]))
    except ValueError:
        raise InvalidPolicy(f"{path}.at", "must be a time such as '10:00'") from None
    try:
        ZoneInfo(str(document["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPolicy(
            f"{path}.timezone", "must be an IANA time zone such as 'Europe/Copenhagen'"
        ) from None
    event = document["event"]
    if not isinstance(event, Mapping) or "dedup_key" in event or "occurred_at" in event:
        raise InvalidPolicy(
            f"{path}.event",
            "must be an event without dedup_key or occurred_at (each firing gets its own)",
        )
    try:
        parse_event(dict(event))
    except InvalidEvent as error:
        raise InvalidPolicy(f"{path}.event.{error.field}", error.message) from None
    return ScheduledTrigger(
        schedule_id=str(document["id"]),
        every=every,
        at=at.replace(tzinfo=None),
        timezone=str(document["timezone"]),
        event=dict(event),
        weekday=weekday,
        description=str(document.get("description", "")),
    )
