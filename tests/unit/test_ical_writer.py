"""The hand-written iCalendar feed conforms to RFC 5545: a real parser reads back what was meant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from chalicelib.core.oncall.ical import CalendarEvent, escape_text, fold, render_calendar

STAMP = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
HOSTILE = 'Duty; "ops", a\\b\nsecond line, ÆØÅ 值班 🚨' + " padding" * 12


def feed(*events: CalendarEvent) -> str:
    return render_calendar("Tocsin on call", events, STAMP, timedelta(hours=1))


def event(summary: str = "On call: it-duty", description: str = "") -> CalendarEvent:
    return CalendarEvent(
        uid="abc@tocsin",
        start=datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen")),
        end=datetime(2026, 12, 9, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen")),
        summary=summary,
        description=description,
    )


def test_every_line_ends_in_crlf_and_fits_in_75_octets() -> None:
    text = feed(event(HOSTILE, HOSTILE * 3))
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n")[:-1]:
        assert len(line.encode("utf-8")) <= 75, line
        line.encode("utf-8").decode("utf-8")  # no character split across lines


def test_a_parser_reads_back_the_text_times_and_identity_exactly() -> None:
    calendar = icalendar.Calendar.from_ical(feed(event(HOSTILE, HOSTILE + "\n" + HOSTILE)))
    assert calendar["VERSION"] == "2.0" and str(calendar["X-WR-CALNAME"]) == "Tocsin on call"
    (parsed,) = calendar.walk("VEVENT")
    assert str(parsed["SUMMARY"]) == HOSTILE
    assert str(parsed["DESCRIPTION"]) == HOSTILE + "\n" + HOSTILE
    assert parsed["UID"] == "abc@tocsin"
    # Times are written in UTC and mean the same instants.
    assert parsed.decoded("DTSTART") == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert parsed.decoded("DTEND") == datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    assert parsed.decoded("DTSTAMP") == STAMP


def test_recurring_ical_events_finds_each_event_in_its_window() -> None:
    text = feed(event(), CalendarEvent("second@tocsin", STAMP, STAMP + timedelta(hours=2), "x"))
    calendar = icalendar.Calendar.from_ical(text)
    found = recurring_ical_events.of(calendar).between(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
    )
    assert sorted(str(item["UID"]) for item in found) == ["abc@tocsin", "second@tocsin"]


def test_an_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = icalendar.Calendar.from_ical(feed())
    assert calendar.walk("VEVENT") == []


def test_text_escaping_follows_the_rfc() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_folding_keeps_multibyte_characters_whole() -> None:
    lines = list(fold("SUMMARY:" + "值" * 40))
    assert all(len(line.encode()) <= 75 for line in lines)
    assert lines[1].startswith(" ") and "".join(line.removeprefix(" ") for line in lines) == (
        "SUMMARY:" + "值" * 40
    )


def test_a_time_without_a_zone_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="time zone"):
        feed(CalendarEvent("x", datetime(2026, 12, 2), datetime(2026, 12, 3), "x"))
