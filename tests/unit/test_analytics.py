"""Analytics on hand-built facts: MTTA and MTTR with open and unacknowledged incidents counted
apart, pages per person and out of hours, drill pass rate, the period; working hours parsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import InvalidRequest
from chalicelib.core.model import EventStatus, Incident, IncidentStatus, Severity, TimelineEntry
from chalicelib.core.reports.analytics import (
    DrillResult,
    Hours,
    IncidentFacts,
    analyse,
    drill_pass_rate,
    pages_per_person,
)
from chalicelib.core.reports.analytics_render import (
    analytics_csv,
    analytics_document,
    render_analytics_html,
    render_analytics_markdown,
)
from chalicelib.core.reports.period import incident_facts, read_period
from chalicelib.core.working_hours import parse_window, parse_windows, within_hours

# Wednesday 2 December 2026, 08:00 UTC: 09:00 in Copenhagen.
T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def fact(
    name: str,
    ack: float | None,
    resolved: float | None,
    status: str = "resolved",
    severity: str = "high",
    kind: str = "it.outage",
    exercise: bool = False,
    pages: tuple[tuple[str, float], ...] = (),
) -> IncidentFacts:
    def at(seconds: float | None) -> datetime | None:
        return None if seconds is None else T0 + timedelta(seconds=seconds)

    return IncidentFacts(
        incident_id=name,
        type=kind,
        severity=severity,
        exercise=exercise,
        status=status,
        triggered_at=T0,
        first_acknowledged_at=at(ack),
        resolved_at=at(resolved),
        pages=tuple((contact, T0 + timedelta(seconds=s)) for contact, s in pages),
    )


FACTS = [
    fact("a", 60, 600, severity="critical"),
    fact("b", 120, 1200),
    fact("c", 300, 86_400 * 14),  # resolved two weeks later: the skew the median resists
    fact("d", None, 900),  # resolved without anyone acknowledging (a timeout, say)
    fact("e", 30, None, status="open"),
    fact("f", None, None, status="cancelled"),  # rejected at the gate
    fact("g", 45, 90, exercise=True, kind="tocsin.drill"),
]


def test_mtta_and_mttr_leave_out_and_count_the_unacknowledged_and_the_open() -> None:
    figures = analyse(FACTS, {}, (), T0 - timedelta(days=30), T0)
    real = figures.real
    assert real.incidents == 6
    assert (real.mtta.count, real.mtta.median, real.mtta.p90) == (4, 90.0, 300.0)
    assert real.mtta.mean == (60 + 120 + 300 + 30) / 4
    assert (real.mttr.count, real.mttr.median, real.mttr.p90) == (4, 1050.0, 1_209_600.0)
    assert real.mttr.mean == (600 + 1200 + 1_209_600 + 900) / 4
    assert (real.unacknowledged, real.still_open, real.cancelled) == (2, 1, 1)
    assert figures.exercises.incidents == 1 and figures.exercises.mtta.median == 45.0
    assert list(figures.real_by_severity) == ["critical", "high"]
    assert figures.real_by_severity["critical"].mttr.median == 600.0
    assert list(figures.exercises_by_type) == ["tocsin.drill"]


def test_pages_out_of_hours_are_counted_on_each_persons_own_clock() -> None:
    facts = [
        fact("a", 60, 600, pages=(("c-ada", 0), ("c-bo", 0), ("c-cy", 0))),
        # 17:30 in Copenhagen, 11:30 in New York.
        fact("b", 60, 600, pages=(("c-ada", 8.5 * 3600), ("c-bo", 8.5 * 3600))),
    ]
    hours = {
        "c-ada": Hours("Europe/Copenhagen", ("weekdays 09:00-17:00",)),
        "c-bo": Hours("America/New_York", ("weekdays 09:00-17:00",)),
        "c-cy": Hours("UTC", ()),
    }
    pages = pages_per_person(facts, hours)
    assert [(p.contact_id, p.pages, p.out_of_hours, p.hours_known) for p in pages] == [
        ("c-ada", 2, 1, True),  # 09:00 in; 17:30 out
        ("c-bo", 2, 1, True),  # 03:00 out; 11:30 in
        ("c-cy", 1, 0, False),  # no hours stated: never counted out of hours
    ]


def test_drill_pass_rate_per_month_from_the_results_given() -> None:
    results = [
        DrillResult(datetime(2026, 10, 5, tzinfo=UTC), "it-major", True),
        DrillResult(datetime(2026, 10, 20, tzinfo=UTC), "it-major", False),
        DrillResult(datetime(2026, 11, 3, tzinfo=UTC), "crisis", True),
    ]
    assert [(r.month, r.passed, r.drills) for r in drill_pass_rate(results)] == [
        ("2026-10", 1, 2),
        ("2026-11", 1, 1),
    ]


def test_renderings_state_the_definitions_and_draw_three_charts() -> None:
    figures = analyse(FACTS, {}, [DrillResult(T0, "p", True)], T0 - timedelta(days=30), T0)
    document = analytics_document(figures)
    assert document["real"]["mttr_seconds"]["median"] == 1050.0
    assert "still open" in document["definitions"]["mttr"]
    page = render_analytics_html(figures)
    assert page.count("<svg") == 3 and "<script" not in page
    assert "period,,complete,true" in analytics_csv(figures).replace("\r", "")
    assert "| real | 6 | 1m 30s | 5m 00s | 17m 30s |" in render_analytics_markdown(figures)


def test_an_incidents_facts_come_from_its_timeline() -> None:
    incident = Incident(
        incident_id="inc_1",
        status=IncidentStatus.RESOLVED,
        title="t",
        type="it.outage",
        severity=Severity.HIGH,
        event_status=EventStatus.ACTUAL,
        dedup_key="k",
        rule_id="r",
        plan_id="p",
        opened_at=T0 + timedelta(seconds=1),
        updated_at=T0,
        resolved_at=T0 + timedelta(seconds=500),
    )

    def sent(seconds: int, contact: str, channel: str, step: int) -> TimelineEntry:
        data = {"contact_id": contact, "channel": channel, "step": step, "notice": "alert"}
        return TimelineEntry(T0 + timedelta(seconds=seconds), "notification_sent", "", data)

    timeline = [
        TimelineEntry(T0, "event_received", "", {}),
        sent(2, "c-ada", "sms", 1),
        sent(3, "c-ada", "email", 1),  # the same page on two channels: one page
        sent(300, "c-ada", "sms", 2),
        TimelineEntry(T0 + timedelta(seconds=320), "acknowledged", "", {"contact_id": "c-ada"}),
    ]
    facts = incident_facts(incident, timeline)
    assert facts.triggered_at == T0
    assert facts.first_acknowledged_at == T0 + timedelta(seconds=320)
    assert facts.pages == (
        ("c-ada", T0 + timedelta(seconds=2)),
        ("c-ada", T0 + timedelta(seconds=300)),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, timedelta(days=30)), ("12h", timedelta(hours=12)), ("8w", timedelta(weeks=8))],
)
def test_a_period_in_hours_days_or_weeks(text: str | None, expected: timedelta) -> None:
    assert read_period(text, timedelta(days=400)) == expected


@pytest.mark.parametrize(
    "text", ["abc", "-5d", "0d", "90", "90 d", "1.5d", "401d", "90D", "99999999d", ""]
)
def test_a_bad_period_is_refused_naming_since(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        read_period(text, timedelta(days=400))
    assert refused.value.problems[0].field == "since"


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("weekdays 09:00-17:00", "2026-12-02T09:00", "2026-12-05T10:00"),  # Saturday
        ("mon,wed 08:00-12:00", "2026-12-02T11:59", "2026-12-01T09:00"),  # Tuesday
        ("sat-sun 10:00-14:00", "2026-12-06T13:00", "2026-12-07T13:00"),
        ("fri-mon 10:00-14:00", "2026-12-07T10:00", "2026-12-08T10:00"),  # wraps the week
        ("mon 22:00-06:00", "2026-12-08T05:59", "2026-12-08T06:00"),  # Monday night
        ("all 00:00-00:00", "2026-12-08T05:59", None),  # the whole day, every day
    ],
)
def test_working_hours_in_the_persons_zone(text: str, inside: str, outside: str | None) -> None:
    windows = parse_windows([text])
    here = "Europe/Copenhagen"
    local = datetime.fromisoformat(inside + "+01:00")
    assert within_hours(windows, here, local)
    if outside is not None:
        assert not within_hours(windows, here, datetime.fromisoformat(outside + "+01:00"))


@pytest.mark.parametrize(
    "text", ["9-17", "weekdays", "someday 09:00-17:00", "mon 24:30-25:00", "mon 09:00 17:00"]
)
def test_a_window_that_says_nothing_clear_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text)


def test_at_most_fourteen_windows_a_person() -> None:
    with pytest.raises(ValueError, match="at most 14"):
        parse_windows(["mon 09:00-10:00"] * 15)


def test_a_contacts_working_hours_are_read_from_csv_or_json_and_stored_normalised() -> None:
    from chalicelib.core.people import contact_document, contact_from_row

    row = {
        "contact_id": "c-gil",
        "name": "Gil Example",
        "roles": "executive",
        "email": "gil@example.com",
        "working_hours": "weekdays 09:00-17:00; Sat 10:00-12:00",
    }
    contact = contact_from_row(row, None, None)
    assert contact.working_hours == ("mon,tue,wed,thu,fri 09:00-17:00", "sat 10:00-12:00")
    assert contact_document(contact)["working_hours"] == list(contact.working_hours)
    listed = contact_from_row({**row, "working_hours": ["mon 08:00-12:00"]}, None, None)
    assert listed.working_hours == ("mon 08:00-12:00",)
    assert contact_from_row({**row, "working_hours": ""}, None, None).working_hours == ()
    with pytest.raises(InvalidRequest) as refused:
        contact_from_row({**row, "working_hours": "weekdays 9 to 5"}, None, None)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        (
            "working_hours",
            "must be days and hours such as 'weekdays 09:00-17:00' or 'mon,wed 08:00-12:00'",
        )
    ]
