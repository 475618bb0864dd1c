"""After-action reports on hand-built timelines: every figure exact (counts and times)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.model import EventStatus, Incident, IncidentStatus, Severity, TimelineEntry
from chalicelib.core.reports import AckTarget, Confirmation, Member, build_report, check_targets
from chalicelib.core.reports.report_documents import report_csv, report_document
from chalicelib.core.reports.report_page import render_report_html, render_report_markdown
from chalicelib.core.reports.stats import median, percentile

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MEMBERS = {
    "c-ada": Member("c-ada", ("crisis-core",), ("hq",)),
    "c-bo": Member("c-bo", ("crisis-core",), ("hq",)),
    "c-cy": Member("c-cy", ("comms",), ("pr",)),
    "c-dee": Member("c-dee", ("crisis-core",), ()),
    "c-fay": Member("c-fay", ("duty",), ()),
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def entry(seconds: float, kind: str, summary: str = "", **data: Any) -> TimelineEntry:
    return TimelineEntry(at=at(seconds), kind=kind, summary=summary or kind, data=data)


def sent(seconds: float, contact: str, channel: str, step: int = 0, **extra: Any) -> TimelineEntry:
    data = {"contact_id": contact, "channel": channel, "step": step, "notice": "alert", **extra}
    return entry(seconds, "notification_sent", **data)


def receipt(
    seconds: float, status: str, contact: str, channel: str, detail: str = ""
) -> TimelineEntry:
    return entry(
        seconds,
        f"delivery_{status}",
        contact_id=contact,
        channel=channel,
        step=1 if contact == "c-fay" else 0,
        status=status,
        detail=detail or status,
    )


def make_incident(title: str = "Payments API down", **changes: Any) -> Incident:
    fields: dict[str, Any] = {
        "incident_id": "inc_01KBXYZ0000000000000000000",
        "status": IncidentStatus.RESOLVED,
        "title": title,
        "type": "it.outage",
        "severity": Severity.CRITICAL,
        "event_status": EventStatus.EXERCISE,
        "dedup_key": "payments",
        "rule_id": "it-outage",
        "plan_id": "it-major",
        "opened_at": at(2),
        "updated_at": at(1800),
        "resolved_at": at(1800),
    }
    return Incident(**{**fields, **changes})


TIMELINE = [
    entry(0, "event_received", event_id="evt_1"),
    TimelineEntry(
        at=T0,
        kind="drill_started",
        summary="drill started",
        data={"drill_id": "drl_1", "kind": "simulation", "plan": "it-major", "roster_size": 5},
    ),
    entry(2, "activated", rule_id="it-outage", plan_id="it-major"),
    entry(2, "planned", jobs=1, recipients=1, channels={"email": 1}),
    entry(2, "paged", step=0, paged=["c-ada", "c-bo", "c-cy"], jobs=3, channels={"sms": 3}),
    entry(
        2,
        "unreachable",
        "crisis-core: no sms address",
        group="crisis-core",
        contact_id="c-dee",
        step=0,
    ),
    sent(5, "c-ada", "sms"),
    sent(5, "c-bo", "sms"),
    entry(
        6,
        "notification_failed",
        contact_id="c-cy",
        channel="sms",
        step=0,
        error="InvalidDestination",
        retryable=False,
    ),
    entry(
        6, "fallback", contact_id="c-cy", **{"from": "sms", "to": "email"}, step=0, reason="failed"
    ),
    sent(7, "c-cy", "email"),
    sent(7, "c-eve", "email"),
    receipt(20, "delivered", "c-ada", "sms"),
    receipt(25, "failed", "c-bo", "sms", "TEXT_UNREACHABLE"),
    receipt(30, "bounced", "c-eve", "email", "permanent bounce (General)"),
    entry(
        40,
        "delivery_delayed",
        contact_id="c-cy",
        channel="email",
        step=0,
        status="delayed",
        detail="delayed",
    ),
    entry(125, "acknowledged", contact_id="c-ada", via="link", step=0),
    entry(180, "declined", contact_id="c-cy", via="sms", step=0),
    entry(302, "escalated", step=1, paged=["c-fay"], jobs=1, channels={"sms": 1}),
    sent(304, "c-fay", "sms", step=1),
    receipt(310, "delivered", "c-fay", "sms"),
    entry(364, "acknowledged", contact_id="c-fay", via="api", step=1),
    entry(
        390, "not_counted", contact_id="c-eve", answer="acknowledged", reason="no level paged them"
    ),
    # A resolution notice: never counted as an alert.
    sent(1801, "c-ada", "sms", notice="resolved"),
]


@pytest.fixture
def report() -> Any:
    return build_report(make_incident(), TIMELINE, MEMBERS)


def test_times_from_trigger_to_decision_first_and_last_message(report: Any) -> None:
    t = report.timings
    assert t.triggered_at == T0
    assert t.since_trigger(t.decided_at) == 2
    assert t.since_trigger(t.first_message_at) == 5
    assert t.since_trigger(t.last_message_at) == 304  # the resolution notice is no alert
    assert t.since_trigger(t.first_acknowledged_at) == 125
    assert t.since_trigger(t.resolved_at) == 1800
    assert report.drill_id == "drl_1" and report.exercise


def test_reach_per_channel_planned_handed_delivered_failed_unknown(report: Any) -> None:
    email, sms = report.reach
    assert (email.channel, email.planned, email.handed, email.delivered) == ("email", 2, 2, 0)
    assert (email.failed, email.unknown, email.not_sent) == (1, 1, 0)  # cy's: only delayed
    assert email.failures == {"bounced: permanent bounce (General)": 1}
    assert (sms.channel, sms.planned, sms.handed, sms.delivered) == ("sms", 4, 3, 2)
    assert (sms.failed, sms.unknown, sms.not_sent) == (2, 0, 0)
    assert sms.failures == {"InvalidDestination": 1, "failed: TEXT_UNREACHABLE": 1}


def test_confirmation_per_person_silent_declined_and_why_unreachable(report: Any) -> None:
    people = {p.contact_id: p for p in report.people}
    assert sorted(people) == ["c-ada", "c-bo", "c-cy", "c-dee", "c-fay"]  # c-eve: informed only
    assert people["c-ada"].confirmation is Confirmation.ACKNOWLEDGED
    assert people["c-ada"].seconds_to_acknowledge == 120  # from her first alert, at 5 s
    assert people["c-fay"].seconds_to_acknowledge == 60  # paged at step 1, alert at 304 s
    assert people["c-cy"].confirmation is Confirmation.DECLINED
    assert people["c-cy"].reached_on == ("email",)
    assert people["c-cy"].unreachable == ("sms InvalidDestination",)
    assert people["c-bo"].confirmation is Confirmation.SILENT
    assert people["c-bo"].unreachable == ("sms failed: TEXT_UNREACHABLE",)
    assert people["c-dee"].unreachable == ("no sms address",)
    assert [p.contact_id for p in report.never_answered] == ["c-bo", "c-dee"]


def test_groups_count_each_answer_and_time_per_role_and_team(report: Any) -> None:
    everyone = report.overall
    assert (everyone.asked, everyone.acknowledged, everyone.declined, everyone.silent) == (
        5,
        2,
        1,
        2,
    )
    assert (everyone.times.median, everyone.times.p90, everyone.times.slowest) == (90, 120, 120)
    roles = {g.name: g for g in report.roles}
    assert sorted(roles) == ["comms", "crisis-core", "duty"]
    core = roles["crisis-core"]
    assert (core.asked, core.acknowledged, core.declined, core.silent) == (3, 1, 0, 2)
    assert (core.times.count, core.times.median, core.times.p90) == (1, 120, 120)
    assert (roles["comms"].declined, roles["comms"].times.median) == (1, None)
    teams = {g.name: (g.asked, g.acknowledged, g.silent) for g in report.teams}
    assert teams == {"hq": (2, 1, 1), "pr": (1, 0, 0)}


def test_escalations_and_charts(report: Any) -> None:
    assert [(e.step, e.outcome, e.paged) for e in report.escalations] == [
        (0, "paged", ("c-ada", "c-bo", "c-cy")),
        (1, "escalated", ("c-fay",)),
    ]
    assert [(p.seconds, p.value) for p in report.acknowledgements_over_time] == [(125, 1), (364, 2)]
    assert {
        c: [(p.seconds, p.value) for p in ps] for c, ps in report.deliveries_over_time.items()
    } == {"sms": [(20, 1), (310, 2)]}


def test_an_acknowledgement_after_a_decline_counts_as_acknowledged() -> None:
    timeline = [
        *TIMELINE,
        entry(400, "acknowledged", contact_id="c-cy", via="link", step=1),
    ]
    people = {p.contact_id: p for p in build_report(make_incident(), timeline, MEMBERS).people}
    assert people["c-cy"].confirmation is Confirmation.ACKNOWLEDGED
    assert people["c-cy"].seconds_to_acknowledge == 393  # from her email at 7 s


def test_without_escalation_everyone_an_alert_was_addressed_to_is_asked() -> None:
    timeline = [
        entry(0, "event_received"),
        entry(1, "activated"),
        entry(1, "planned", jobs=2, channels={"email": 2, "sms": 1}),
        sent(3, "c-ada", "email"),
        sent(3, "c-bo", "email"),
        entry(50, "acknowledged", contact_id="c-bo", via="link", step=-1),
    ]
    report = build_report(make_incident(), timeline, MEMBERS)
    assert [(p.contact_id, p.confirmation.value) for p in report.people] == [
        ("c-ada", "silent"),
        ("c-bo", "acknowledged"),
    ]
    sms = next(c for c in report.reach if c.channel == "sms")
    assert (sms.planned, sms.handed, sms.not_sent) == (1, 0, 1)  # held or still queued
    assert next(c for c in report.reach if c.channel == "email").unknown == 2


def test_approvals_with_their_latency_and_statements_with_their_times() -> None:
    timeline = [
        entry(0, "activation_requested", contact_id="c-ada"),
        entry(0, "approval_requested", asked=["c-bo", "c-cy"], needed=2),
        entry(60, "approved", contact_id="c-bo", approvals=1, needed=2),
        entry(95, "approved", contact_id="c-cy", approvals=2, needed=2),
        entry(
            100,
            "statement_drafted",
            statement_id="st-1",
            audience="staff",
            language="en",
            statement_kind="initial",
        ),
        entry(200, "statement_approved", statement_id="st-1", audience="staff", language="en"),
        entry(260, "statement_published", statement_id="st-1", audience="staff", language="en"),
        entry(
            261,
            "statement_sent",
            statement_id="st-1",
            audience="staff",
            language="en",
            outlet="staff-email",
        ),
    ]
    report = build_report(make_incident(), timeline, MEMBERS)
    assert [(a.contact_id, a.outcome, a.seconds_waited) for a in report.approvals] == [
        ("c-bo", "approved", 60),
        ("c-cy", "approved", 95),
    ]
    (statement,) = report.statements
    assert (statement.statement_id, statement.audience, statement.kind) == (
        "st-1",
        "staff",
        "initial",
    )
    assert (statement.drafted_at, statement.approved_at, statement.published_at) == (
        at(100),
        at(200),
        at(260),
    )
    assert statement.sent == (("staff-email", at(261)),)


@pytest.mark.parametrize(
    ("values", "p90", "middle"),
    [
        ([5.0], 5, 5),
        ([1.0, 2.0], 2, 1.5),
        ([4.0, 1.0, 3.0, 2.0], 4, 2.5),
        ([float(v) for v in range(1, 10)], 9, 5),  # 9 values: p90 is the largest
        ([float(v) for v in range(1, 11)], 9, 5.5),  # 10 values: rank ceil(9.0) = 9
        ([float(v) for v in range(1, 12)], 10, 6),  # 11 values: rank ceil(9.9) = 10
        ([], None, None),
    ],
)
def test_p90_is_the_nearest_rank_and_median_the_middle(
    values: list[float], p90: Any, middle: Any
) -> None:
    assert percentile(values, 0.9) == p90
    assert median(values) == middle


def test_targets_pass_and_fail_exactly(report: Any) -> None:
    """Within so many seconds of the start (the trigger): c-ada at 125 s, c-fay at 364 s."""
    results = check_targets(
        report,
        [
            AckTarget("crisis-core", 0.5, 180),  # 1 of 3 in time; 2 needed
            AckTarget(None, 0.4, 364),  # 2 of 5; 2 needed (at the limit counts)
            AckTarget(None, 0.4, 363),  # only c-ada's
            AckTarget("nobody-here", 0.1, 60),
        ],
    )
    assert [(r.asked, r.in_time, r.needed, r.passed) for r in results] == [
        (3, 1, 2, False),
        (5, 2, 2, True),
        (5, 1, 2, False),
        (0, 0, 0, False),
    ]


@pytest.mark.parametrize(("share", "within"), [(0.0, 60), (1.01, 60), (0.5, 0)])
def test_a_target_out_of_range_is_refused(share: float, within: int) -> None:
    with pytest.raises(ValueError, match="target"):
        AckTarget(None, share, within)


HOSTILE = '<script>alert("x")</script> | =HYPERLINK("http://example.com") *bold*'


def test_html_shows_markup_as_text_and_has_no_script() -> None:
    report = build_report(make_incident(title=HOSTILE), TIMELINE, MEMBERS)
    page = render_report_html(report, check_targets(report, [AckTarget(None, 0.4, 400)]))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert (
        page.count("<svg") == 3 and page.count("<title id=") == 3 and page.count("<desc id=") == 3
    )
    assert 'role="img"' in page and "Cumulative acknowledgements after the trigger: 2 of 5" in page
    assert ">pass<" in page


def test_csv_holds_every_figure_and_no_formula() -> None:
    report = build_report(make_incident(title=HOSTILE), TIMELINE, MEMBERS)
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["section", "subject", "figure", "value"]
    title = next(r for r in rows if r[2] == "title")
    assert title[3] == HOSTILE  # it does not start with a formula character
    assert ["reach", "sms", "failed: InvalidDestination", "1"] in rows
    assert ["confirmation", "everyone", "median_seconds_to_acknowledge", "90.0"] in rows
    hostile = build_report(make_incident(title="=1+2"), TIMELINE, MEMBERS)
    assert ["incident", hostile.incident_id, "title", "'=1+2"] in list(
        csv.reader(io.StringIO(report_csv(hostile)))
    )


def test_markdown_escapes_table_breaks_and_markup() -> None:
    report = build_report(make_incident(title=HOSTILE), TIMELINE, MEMBERS)
    text = render_report_markdown(report)
    assert "# After-action report: \\<script\\>" in text
    assert "\\| =HYPERLINK" in text and "\\*bold\\*" in text
    assert "| sms | 4 | 3 | 2 | 2 | 0 | 0 |" in text
    assert "- `c-bo`: sms failed: TEXT\\_UNREACHABLE" in text


def test_json_document_states_every_figure(report: Any) -> None:
    document = report_document(report)
    assert document["timings"]["seconds_to_last_message"] == 304
    assert document["never_answered"] == ["c-bo", "c-dee"]
    assert document["confirmation"]["everyone"]["p90_seconds_to_acknowledge"] == 120
    assert document["reach"][1]["handed_to_aws"] == 3


def test_a_drill_is_triggered_when_it_started_and_keeps_its_id() -> None:
    """A drill's incident opens with its ``drill_started`` entry (no event, no activation)."""
    timeline = [
        TimelineEntry(at(10), "drill_started", "", {"drill_id": "drl_2", "contact_id": "c-eve"}),
        entry(11, "paged", step=0, paged=["c-ada"], channels={"sms": 1}),
        sent(12, "c-ada", "sms", 1),
        entry(70, "acknowledged", contact_id="c-ada", via="link", step=0),
    ]
    report = build_report(make_incident(opened_at=at(10)), timeline, MEMBERS)
    assert (report.drill_id, report.timings.triggered_at) == ("drl_2", at(10))
    assert [p.contact_id for p in report.people] == ["c-ada"]  # its starter was not asked
    (result,) = check_targets(report, [AckTarget(None, 1.0, 60)])  # 60 s after the start
    assert (result.in_time, result.passed) == (1, True)
