"""A small iCalendar (RFC 5545) writer for on-call feeds. Pure.

Written by hand rather than with the ``icalendar`` package, on purpose: a feed needs a narrow
subset (one VCALENDAR of VEVENTs whose times are all UTC, no time zones, no recurrence), so the
rules that matter fit here: CRLF line ends (3.1), lines folded at 75 octets without splitting a
UTF-8 character (3.1), TEXT escaped (3.3.11: backslash, semicolon, comma, newline), UTC
DATE-TIME values (3.3.5), and UID, DTSTAMP, DTSTART on every event (3.6.1). That keeps the API
function's package and cold start as they were; the tests parse every feed with the
``icalendar`` and ``recurring-ical-events`` packages to prove it conforms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_OCTETS = 75  # per line, without the CRLF
PRODUCT = "-//Tocsin//On-call calendar//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def render_calendar(
    name: str, events: Sequence[CalendarEvent], stamp: datetime, refresh: timedelta
) -> str:
    """The whole feed: ``refresh`` tells calendar apps how often to fetch it again (RFC 7986)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{_duration(refresh)}",
        f"X-PUBLISHED-TTL:{_duration(refresh)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{utc_value(stamp)}",
            f"DTSTART:{utc_value(event.start)}",
            f"DTEND:{utc_value(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(f"{folded}\r\n" for line in lines for folded in fold(line))


def escape_text(text: str) -> str:
    """A TEXT value: backslash first, then the characters that would end or split it."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_value(moment: datetime) -> str:
    """A DATE-TIME in UTC ("form #2"): ``20261201T080000Z``."""
    if moment.tzinfo is None:
        raise ValueError("a calendar time needs a time zone")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> Iterable[str]:
    """The line as it must be written: at most 75 octets each, continuations begin with a
    space (which counts), never splitting a character's UTF-8 bytes."""
    chunk = ""
    size = 0
    limit = MAX_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            yield chunk
            chunk, size, limit = " ", 1, MAX_OCTETS
        chunk += character
        size += width
    yield chunk


def _duration(length: timedelta) -> str:
    minutes = int(length.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"PT{hours}H{minutes}M" if minutes else f"PT{hours}H"
