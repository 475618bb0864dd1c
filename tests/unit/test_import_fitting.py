"""Restrictions become hours that cover exactly the same minutes, and a calendar's shifts become
a rotation (with hours and overrides) that pages exactly whom the calendar names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core.playbook.hours import parse_windows
from chalicelib.core.playbook.rotations import parse_oncall
from tocsin_cli.importers.drafts import OnCallPeriod
from tocsin_cli.importers.findings import Findings, Where
from tocsin_cli.importers.fitting import CalendarShift, fit_rotation
from tocsin_cli.importers.hours import DAY, WEEK, windows_for_spans
from tocsin_cli.importers.output import differences

CPH = ZoneInfo("Europe/Copenhagen")
MONDAY = datetime(2026, 12, 7, tzinfo=CPH)  # a Monday, 00:00 local; no DST change for weeks


def covered(spans: list[tuple[int, int]], minute: int) -> bool:
    return any((minute - start) % WEEK < length for start, length in spans)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, WEEK - 1), st.integers(1, WEEK)).map(
            lambda span: (span[0] // 30 * 30, max(30, span[1] // 30 * 30))
        ),
        min_size=1,
        max_size=4,
    )
)
def test_windows_cover_exactly_the_minutes_of_the_spans(spans: list[tuple[int, int]]) -> None:
    hours = parse_windows(windows_for_spans(spans), "hours", "Europe/Copenhagen")
    for minute in range(0, WEEK, 30):
        assert hours.contains(MONDAY + timedelta(minutes=minute)) == covered(spans, minute), minute


def test_a_weekend_restriction_becomes_three_readable_windows() -> None:
    friday_evening_to_monday_morning = [(4 * DAY + 18 * 60, 62 * 60)]
    assert windows_for_spans(friday_evening_to_monday_morning) == [
        {"days": ["fri", "sat"], "from": "18:00", "to": "18:00"},
        {"days": ["sun"], "from": "18:00", "to": "08:00"},
    ]
    office = [(day * DAY + 8 * 60, 9 * 60) for day in range(5)]
    assert windows_for_spans(office) == [{"days": ["weekdays"], "from": "08:00", "to": "17:00"}]


def shift(start: datetime, end: datetime, who: str) -> CalendarShift:
    return CalendarShift(start.astimezone(UTC), end.astimezone(UTC), who, Where("cal.ics", who))


def exact(shifts: list[CalendarShift]) -> tuple[dict[str, object], list[str]]:
    """The fitted schedule, and where it differs from the calendar (nothing, hopefully)."""
    findings = Findings()
    fitted = fit_rotation(shifts, "Europe/Copenhagen", Where("cal.ics"), findings, "schedule x")
    assert fitted is not None, findings.problems
    document = {
        "id": "x",
        "timezone": "Europe/Copenhagen",
        "layers": [fitted.layer],
        "overrides": fitted.overrides,
    }
    schedule = parse_oncall(document, "x")
    rendering = [OnCallPeriod(s.start, s.end, s.contact_id) for s in shifts]
    found = differences(schedule, rendering, shifts[0].start, shifts[-1].end)
    return document, found


def test_office_hours_shifts_become_a_daily_rotation_within_weekday_hours() -> None:
    people = ["c-ada", "c-bo"]
    shifts = [
        shift(
            MONDAY + timedelta(days=d, hours=8), MONDAY + timedelta(days=d, hours=17), people[d % 2]
        )
        for d in range(28)
        if d % 7 < 5
    ]
    document, found = exact(shifts)
    assert found == []
    layer = document["layers"][0]  # type: ignore[index]
    assert layer["rotation"] == "day" and layer["handoff"] == "08:00"
    assert layer["hours"] == [{"days": ["weekdays"], "from": "08:00", "to": "17:00"}]


def test_a_calendar_that_begins_mid_week_still_finds_the_weekly_turns() -> None:
    people = ["c-ada", "c-bo", "c-chen"]
    start = MONDAY + timedelta(hours=9)
    shifts = [
        shift(start + timedelta(weeks=w), start + timedelta(weeks=w + 1), people[w % 3])
        for w in range(9)
    ]
    shifts[0] = shift(MONDAY + timedelta(days=2, hours=9), shifts[0].end, "c-ada")
    document, found = exact(shifts)
    assert found == []
    layer = document["layers"][0]  # type: ignore[index]
    assert layer["rotation"] == "week" and layer["members"] == people
    assert document["overrides"] == []


def test_a_one_off_swap_stays_an_override_instead_of_lengthening_the_order() -> None:
    people = ["c-ada", "c-bo", "c-chen"]
    start = MONDAY + timedelta(hours=9)
    shifts = [
        shift(start + timedelta(days=d), start + timedelta(days=d + 1), people[d % 3])
        for d in range(30)
    ]
    shifts[10] = shift(shifts[10].start, shifts[10].end, "c-dina")
    document, found = exact(shifts)
    assert found == []
    assert document["layers"][0]["members"] == people  # type: ignore[index]
    assert [o["contact"] for o in document["overrides"]] == ["c-dina"]  # type: ignore[attr-defined]


def test_a_daily_hand_off_stays_at_nine_on_the_wall_clock_across_summer_time() -> None:
    people = ["c-ada", "c-bo"]
    first = datetime(2027, 3, 15, 9, tzinfo=CPH)  # summer time starts on 28 March 2027
    shifts = [
        shift(
            datetime.combine(first.date() + timedelta(days=d), first.timetz()),
            datetime.combine(first.date() + timedelta(days=d + 1), first.timetz()),
            people[d % 2],
        )
        for d in range(28)
    ]
    document, found = exact(shifts)
    assert found == [] and document["overrides"] == []
