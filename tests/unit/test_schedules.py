"""Scheduled triggers fire at wall-clock times in their time zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.playbook.triggers import ScheduledTrigger, due_slots, parse_schedule

EVENT = {
    "source": "tocsin.schedule",
    "type": "tocsin.path_test",
    "severity": "info",
    "status": "test",
    "summary": "Weekly test",
}


def daily(at: str, zone: str = "Europe/Copenhagen") -> ScheduledTrigger:
    return parse_schedule(
        {"id": "d", "every": "day", "at": at, "timezone": zone, "event": EVENT}, "schedules[0]"
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def slots_on(schedule: ScheduledTrigger, day: str) -> list[str]:
    start = utc(f"{day}T00:00:00") - timedelta(hours=6)
    return [slot.isoformat() for slot in due_slots(schedule, start, start + timedelta(days=1))]


def test_ten_oclock_copenhagen_stays_ten_oclock_across_dst() -> None:
    schedule = daily("10:00")
    assert slots_on(schedule, "2026-03-28") == ["2026-03-28T09:00:00+00:00"]  # CET, UTC+1
    assert slots_on(schedule, "2026-03-30") == ["2026-03-30T08:00:00+00:00"]  # CEST, UTC+2
    assert slots_on(schedule, "2026-10-26") == ["2026-10-26T09:00:00+00:00"]  # CET again


def test_a_skipped_time_fires_an_hour_later_and_a_doubled_time_fires_once() -> None:
    schedule = daily("02:30")
    assert slots_on(schedule, "2026-03-29") == ["2026-03-29T01:30:00+00:00"]  # 03:30 CEST
    assert slots_on(schedule, "2026-10-25") == ["2026-10-25T00:30:00+00:00"]  # first 02:30


def test_new_york_changes_on_its_own_dates() -> None:
    schedule = daily("09:00", "America/New_York")
    assert slots_on(schedule, "2026-03-07") == ["2026-03-07T14:00:00+00:00"]  # EST
    assert slots_on(schedule, "2026-03-09") == ["2026-03-09T13:00:00+00:00"]  # EDT


def test_weekly_fires_on_its_day_only() -> None:
    schedule = parse_schedule(
        {
            "id": "w",
            "every": "week",
            "day": "monday",
            "at": "10:00",
            "timezone": "Europe/Copenhagen",
            "event": EVENT,
        },
        "s",
    )
    week = [
        slot.date().isoformat()
        for slot in due_slots(schedule, utc("2026-11-22T00:00:00"), utc("2026-12-06T00:00:00"))
    ]
    assert week == ["2026-11-23", "2026-11-30"]


def test_the_window_is_open_at_the_start_and_closed_at_the_end() -> None:
    schedule = daily("10:00")
    slot = utc("2026-11-23T09:00:00")
    assert due_slots(schedule, slot - timedelta(minutes=1), slot) == [slot]
    assert due_slots(schedule, slot, slot + timedelta(minutes=1)) == []


def test_each_firing_has_its_own_dedup_key() -> None:
    schedule = daily("10:00")
    first, second = (schedule.event_for(utc(f"2026-11-2{d}T09:00:00")) for d in (3, 4))
    assert first["dedup_key"] != second["dedup_key"]
    assert first["dedup_key"] == "schedule:d:2026-11-23T09:00:00+00:00"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"every": "month"}, "schedules[0].every", "one of day, week"),
        ({"every": "week"}, "schedules[0].day", "needs a day"),
        ({"day": "monday"}, "schedules[0].day", "only weekly"),
        ({"at": "25:00"}, "schedules[0].at", "a time such as"),
        ({"timezone": "Mars/Olympus"}, "schedules[0].timezone", "IANA time zone"),
        ({"event": {**EVENT, "dedup_key": "k"}}, "schedules[0].event", "without dedup_key"),
        ({"event": {**EVENT, "severity": "bad"}}, "schedules[0].event.severity", "must be one of"),
        ({"id": "Bad Id"}, "schedules[0].id", "lower-case"),
        ({"cron": "* * * * *"}, "schedules[0].cron", "unknown field"),
    ],
)
def test_a_wrong_schedule_is_refused_with_its_path(
    change: dict[str, Any], path: str, words: str
) -> None:
    document = {
        "id": "d",
        "every": "day",
        "at": "10:00",
        "timezone": "Europe/Copenhagen",
        "event": EVENT,
        **change,
    }
    with pytest.raises(InvalidPolicy) as caught:
        parse_schedule(document, "schedules[0]")
    assert caught.value.path == path
    assert words in caught.value.message


def test_the_example_weekly_path_test_is_monday_ten() -> None:
    from tests.conftest import PROJECT
    from tocsin_cli.policies import read_policy_dir

    [schedule] = read_policy_dir(PROJECT / "policies").validate().schedules
    assert (schedule.every, schedule.weekday, schedule.at) == ("week", 0, time(10, 0))
