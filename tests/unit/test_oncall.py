"""Who is on call, across DST changes, layers and overrides; and the gaps in coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.oncall.shifts import Override, coverage, gaps, on_call
from chalicelib.core.playbook.hours import parse_active_hours
from chalicelib.core.playbook.rotations import OnCallSchedule, Rotation, parse_oncall

CPH = ZoneInfo("Europe/Copenhagen")


def weekly(members: tuple[str, ...] = ("a", "b"), handoff: str = "09:00") -> Rotation:
    return Rotation(
        layer_id="weekly",
        members=members,
        start=date(2026, 3, 23),  # a Monday, the week before summer time starts
        handoff=time.fromisoformat(handoff),
        length=timedelta(days=7),
        timezone="Europe/Copenhagen",
    )


def office_hours() -> Rotation:
    """Fay, weekdays 08:00-17:00 Copenhagen time, and nobody else."""
    return Rotation(
        "office",
        ("fay",),
        date(2026, 1, 5),
        time(8, 0),
        timedelta(days=1),
        "Europe/Copenhagen",
        hours=parse_active_hours(
            {
                "timezone": "Europe/Copenhagen",
                "windows": [{"days": ["weekdays"], "from": "08:00", "to": "17:00"}],
            },
            "hours",
        ),
    )


def schedule(*layers: Rotation) -> OnCallSchedule:
    return OnCallSchedule("duty", "Europe/Copenhagen", layers)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CPH)


def test_a_weekly_rotation_hands_over_at_nine_local_time_on_both_sides_of_summer_time() -> None:
    duty = schedule(weekly())
    # Winter (UTC+1): Monday 23 March 09:00 is 08:00 UTC.
    assert on_call(duty, [], local(2026, 3, 23, 8, 59)) == (None, "nobody")  # before the start
    assert on_call(duty, [], local(2026, 3, 23, 9, 0))[0] == "a"
    # Summer time starts on Sunday 29 March; the hand-off stays at 09:00 on the wall clock.
    assert on_call(duty, [], local(2026, 3, 30, 8, 59))[0] == "a"
    assert on_call(duty, [], local(2026, 3, 30, 9, 0))[0] == "b"
    assert weekly().shift_start(1) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # UTC+2 now
    # The week over the change is an hour shorter.
    assert weekly().shift_start(1) - weekly().shift_start(0) == timedelta(days=7, hours=-1)


def test_autumn_fall_back_week_is_an_hour_longer_and_the_order_keeps_turning() -> None:
    rotation = Rotation(
        "daily",
        ("a", "b", "c"),
        date(2026, 10, 23),
        time(2, 30),
        timedelta(days=1),
        "Europe/Copenhagen",
    )
    duty = schedule(rotation)
    # 25 October 2026: 02:30 happens twice; the hand-off is at its first occurrence (CEST).
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert on_call(duty, [], first - timedelta(seconds=1))[0] == "b"
    assert on_call(duty, [], first)[0] == "c"
    assert rotation.shift_start(3) - rotation.shift_start(2) == timedelta(hours=25)
    assert on_call(duty, [], local(2026, 10, 26, 2, 30))[0] == "a"


def test_a_handoff_time_skipped_by_spring_forward_happens_an_hour_later_on_the_wall_clock() -> None:
    rotation = Rotation(
        "daily", ("a", "b"), date(2026, 3, 28), time(2, 30), timedelta(days=1), "Europe/Copenhagen"
    )
    # 02:30 does not exist on 29 March; the hand-off is 01:30 UTC (03:30 CEST).
    assert rotation.shift_start(1) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_hour_based_shifts_count_real_hours() -> None:
    rotation = Rotation(
        "halves",
        ("day", "night"),
        date(2026, 3, 28),
        time(8, 0),
        timedelta(hours=12),
        "Europe/Copenhagen",
    )
    start = rotation.shift_start(0)
    assert [rotation.shift_start(i) - start for i in range(4)] == [
        timedelta(hours=12 * i) for i in range(4)
    ]
    assert rotation.on_call(start + timedelta(hours=13)) == "night"


def test_the_first_layer_with_someone_wins_and_restricted_hours_leave_the_rest_below() -> None:
    office = office_hours()
    duty = schedule(office, weekly(("chen",)))
    assert on_call(duty, [], local(2026, 4, 1, 10, 0)) == ("fay", "layer office")  # Wednesday
    assert on_call(duty, [], local(2026, 4, 1, 18, 0)) == ("chen", "layer weekly")
    assert on_call(duty, [], local(2026, 4, 4, 10, 0)) == ("chen", "layer weekly")  # Saturday


def test_overrides_cover_one_person_or_the_whole_schedule_and_the_latest_wins() -> None:
    duty = schedule(weekly())
    at = local(2026, 4, 1, 12, 0)  # "b" is on call
    for_a = Override(
        "o1", "duty", "x", at - timedelta(hours=1), at + timedelta(hours=1), covers="a"
    )
    assert on_call(duty, [for_a], at)[0] == "b"  # covers someone who is not on call: no effect
    for_b = Override(
        "o2", "duty", "y", at - timedelta(hours=1), at + timedelta(hours=1), covers="b"
    )
    assert on_call(duty, [for_a, for_b], at) == ("y", "override o2")
    whole = Override("o3", "duty", "z", at - timedelta(minutes=5), at + timedelta(hours=1))
    assert on_call(duty, [for_b, whole], at) == ("z", "override o3")
    assert on_call(duty, [for_b, whole], at + timedelta(hours=2))[0] == "b"  # ended


def test_coverage_is_contiguous_and_reports_the_gaps() -> None:
    office_only = office_hours()
    duty = schedule(office_only)
    start, end = local(2026, 4, 6, 0, 0), local(2026, 4, 8, 0, 0)  # Monday and Tuesday
    shifts = coverage(duty, [], start, end)
    assert shifts[0].start == start and shifts[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(shifts))
    holes = gaps(shifts)
    assert [(g.start.astimezone(CPH).hour, g.end.astimezone(CPH).hour) for g in holes] == [
        (0, 8),
        (17, 8),
        (17, 0),
    ]
    covered = [s for s in shifts if not s.is_gap]
    assert [s.contact_id for s in covered] == ["fay", "fay"]
    # An override fills one evening.
    evening = Override("o9", "duty", "chen", local(2026, 4, 6, 17, 0), local(2026, 4, 7, 8, 0))
    assert len(gaps(coverage(duty, [evening], start, end))) == 2


def test_coverage_refuses_an_empty_or_huge_range() -> None:
    duty = schedule(weekly())
    at = local(2026, 4, 1, 0, 0)
    with pytest.raises(ValueError, match="after its start"):
        coverage(duty, [], at, at)
    with pytest.raises(ValueError, match="at most 92 days"):
        coverage(duty, [], at, at + timedelta(days=93))


def test_schedules_parse_from_the_playbook_with_every_error_located() -> None:
    parsed = parse_oncall(
        {
            "id": "it-duty",
            "timezone": "Europe/Oslo",
            "layers": [
                {
                    "id": "main",
                    "rotation": "3d",
                    "start": "2026-01-05",
                    "handoff": "09:00",
                    "members": ["c-a", "c-b"],
                },
            ],
        },
        "oncall[0]",
    )
    assert parsed.layers[0].length == timedelta(days=3) and parsed.members == ("c-a", "c-b")
    with pytest.raises(InvalidPolicies) as caught:
        parse_oncall(
            {
                "id": "x",
                "timezone": "Mars/Olympus",
                "layers": [
                    {
                        "id": "l",
                        "rotation": "fortnight",
                        "start": "soon",
                        "handoff": "9",
                        "members": [],
                    },
                ],
            },
            "oncall[0]",
        )
    paths = {error.path for error in caught.value.errors}
    assert "oncall[0].timezone" in paths and "oncall[0].layers[0].members" in paths
    with pytest.raises(InvalidPolicy, match="day, week"):
        parse_oncall(
            {
                "id": "x",
                "timezone": "UTC",
                "layers": [
                    {
                        "id": "l",
                        "rotation": "fortnight",
                        "start": "2026-01-01",
                        "handoff": "09:00",
                        "members": ["a"],
                    }
                ],
            },
            "oncall[0]",
        )
