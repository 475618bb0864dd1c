"""A seeded exercise through the in-process runner, with an injected clock and scripted answers
and receipts: every figure of its report is checked against the script (exact counts and
times), then the HTML report is rendered in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.reports import AckTarget, check_targets
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.conftest import Api, use_container
from tocsin_cli.main import main

T = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # the drill starts: 03:00 in Copenhagen
DRILL = {
    "source": "drills",
    "type": "it.outage",
    "severity": "critical",
    "status": "exercise",
    "summary": "Drill: payments API down",
    "dedup_key": "drill-payments",
}


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(T)
    use_container(clock=fixed)
    return fixed


@pytest.fixture
def keys(world: boto3.Session, settings: Settings) -> dict[str, str]:
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)
    made = {}
    for contact in ("c-fay", "c-chen", "c-ada"):
        key = generate_api_key()
        store.add(key, ApiKey(f"{contact}-key", frozenset({Scope.RESOLVE}), contact_id=contact), T)
        made[contact] = key
    return made


def at(clock: FixedClock, seconds: int) -> None:
    clock.current = T + timedelta(seconds=seconds)


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def publish(client: Client, message: dict[str, Any]) -> None:
    event = client.events.generate_sns_event(message=json.dumps(message), subject="delivery")
    client.lambda_.invoke("track_deliveries", event)


def post(client: Client, path: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.post(path, headers=headers, body=b"{}")


def sent_ids(api: Api, incident_id: str) -> dict[tuple[str, str, int], str]:
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    return {
        (e["data"]["contact_id"], e["data"]["channel"], e["data"]["step"]): e["data"]["message_id"]
        for e in timeline
        if e["kind"] == "notification_sent"
    }


def run_drill(
    client: Client, api: Api, runner: QueueRunner, clock: FixedClock, keys: dict[str, str]
) -> str:
    """The script, in seconds after the trigger (the clock stands still in between)."""
    event_id = api.post_event(DRILL).json_body["event_id"]
    runner.drain()  # 0: executives informed by email; level 1 pages c-fay (sms)
    incident_id = str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])
    ids = sent_ids(api, incident_id)
    at(clock, 60)
    publish(client, {"notification": {"messageId": ids[("c-fay", "sms", 1)]}, "status": "SUCCESS"})
    publish(client, {"eventType": "Delivery", "mail": {"messageId": ids[("c-ada", "email", 0)]}})
    bounce = {"bounceType": "Permanent", "bounceSubType": "General"}
    publish(
        client,
        {
            "eventType": "Bounce",
            "bounce": bounce,
            "mail": {"messageId": ids[("c-dina", "email", 0)]},
        },
    )
    at(clock, 120)  # c-fay can't respond: level 2 (it-security, sms and voice) at once
    assert post(client, f"/v1/incidents/{incident_id}/decline", keys["c-fay"]).status_code == 200
    runner.drain()
    ids = sent_ids(api, incident_id)
    at(clock, 180)
    publish(client, {"notification": {"messageId": ids[("c-chen", "sms", 2)]}, "status": "SUCCESS"})
    publish(client, {"eventType": "VOICE_NO_ANSWER", "messageId": "not-one-of-ours"})  # ignored
    at(clock, 720)  # nobody acknowledged level 2 within 10 minutes: level 3, the executives
    tick(client)
    runner.drain()
    ids = sent_ids(api, incident_id)
    at(clock, 750)
    publish(client, {"notification": {"messageId": ids[("c-ada", "sms", 3)]}, "status": "SUCCESS"})
    at(clock, 800)
    assert (
        post(client, f"/v1/incidents/{incident_id}/acknowledge", keys["c-ada"]).status_code == 200
    )
    at(clock, 900)
    assert post(client, f"/v1/incidents/{incident_id}/resolve", keys["c-chen"]).status_code == 200
    runner.drain()  # the resolution notices: not alerts, in no figure
    return incident_id


def iso(seconds: int) -> str:
    return (T + timedelta(seconds=seconds)).isoformat()


def group(name: str, asked: int, acked: int, declined: int, silent: int, ack: float | None) -> Any:
    return {
        "name": name,
        "asked": asked,
        "acknowledged": acked,
        "declined": declined,
        "silent": silent,
        "median_seconds_to_acknowledge": ack,
        "p90_seconds_to_acknowledge": ack,
        "slowest_seconds_to_acknowledge": ack,
    }


def person(contact: str, roles: list[str], teams: list[str], answer: str, **more: Any) -> Any:
    return {
        "contact_id": contact,
        "roles": roles,
        "teams": teams,
        "confirmation": answer,
        "first_alert_at": None,
        "answered_at": None,
        "seconds_to_acknowledge": None,
        "reached_on": ["sms"],
        "unreachable": [],
        "not_counted": [],
        **more,
    }


def channel(
    name: str, planned: int, handed: int, delivered: int, failed: int, unknown: int, **more: Any
) -> Any:
    return {
        "channel": name,
        "planned": planned,
        "handed_to_aws": handed,
        "delivered": delivered,
        "failed": failed,
        "unknown": unknown,
        "not_sent": more.pop("not_sent", 0),
        "failures": more.pop("failures", {}),
    }


@pytest.fixture
def drill(
    client: Client, api: Api, runner: QueueRunner, clock: FixedClock, keys: dict[str, str]
) -> str:
    return run_drill(client, api, runner, clock, keys)


def test_every_figure_of_the_exercise_report_is_what_was_scripted(api: Api, drill: str) -> None:
    report = api.get(f"/v1/incidents/{drill}/report?format=json").json_body
    assert (report["status"], report["exercise"], report["plan_id"]) == (
        "resolved",
        True,
        "it-major-incident",
    )
    assert report["timings"] == {
        "triggered_at": iso(0),
        "decided_at": iso(0),
        "first_message_at": iso(0),
        "last_message_at": iso(720),  # level 3; the resolution notices at 900 are no alerts
        "first_acknowledged_at": iso(800),
        "resolved_at": iso(900),
        "seconds_to_decision": 0.0,
        "seconds_to_first_message": 0.0,
        "seconds_to_last_message": 720.0,
        "seconds_to_first_acknowledgement": 800.0,
        "seconds_to_resolution": 900.0,
    }
    assert report["reach"] == [
        # ada and dina informed at 0 (dina's bounced), ada paged at 720 (no receipt yet);
        # dina's address is not used again at level 3.
        channel("email", 3, 3, 1, 1, 1, failures={"bounced: permanent bounce (General)": 1}),
        # fay (level 1), chen and fay (level 2), ada and dina (level 3): three receipts.
        channel("sms", 5, 5, 3, 0, 2),
        # Level 2's voice: c-chen gave no consent for it (never planned); c-fay's call was
        # planned, but this stack has no voice sender, so it was never handed over.
        channel("voice", 1, 0, 0, 0, 0, not_sent=1),
    ]
    confirmation = report["confirmation"]
    assert confirmation["everyone"] == group("everyone", 4, 1, 1, 2, 80.0)
    assert confirmation["roles"] == [
        group("executive", 2, 1, 0, 1, 80.0),
        group("facilities", 1, 0, 1, 0, None),
        group("it-security", 2, 0, 1, 1, None),
        group("legal", 1, 0, 0, 1, None),
    ]
    assert confirmation["teams"] == [
        group("site-copenhagen", 1, 1, 0, 0, 80.0),
        group("site-oslo", 2, 0, 0, 2, None),
        group("supply-chain", 1, 0, 1, 0, None),
    ]
    assert report["people"] == [
        # Informed by email at 0, paged at 720, acknowledged at 800: 80 s from her page.
        person(
            "c-ada",
            ["executive"],
            ["site-copenhagen"],
            "acknowledged",
            first_alert_at=iso(720),
            answered_at=iso(800),
            seconds_to_acknowledge=80.0,
            reached_on=["email", "sms"],
        ),
        person("c-chen", ["it-security"], ["site-oslo"], "silent", first_alert_at=iso(120)),
        person(
            "c-dina",
            ["legal", "executive"],
            ["site-oslo"],
            "silent",
            first_alert_at=iso(720),
            unreachable=["email bounced: permanent bounce (General)"],
        ),
        person(
            "c-fay",
            ["facilities", "it-security"],
            ["supply-chain"],
            "declined",
            first_alert_at=iso(0),
            answered_at=iso(120),
        ),
    ]
    assert report["never_answered"] == ["c-chen", "c-dina"]
    assert report["escalations"] == [
        {"at": iso(0), "step": 0, "outcome": "paged", "paged": ["c-fay"]},
        {"at": iso(120), "step": 1, "outcome": "escalated", "paged": ["c-chen", "c-fay"]},
        {"at": iso(720), "step": 2, "outcome": "escalated", "paged": ["c-ada", "c-dina"]},
    ]
    assert (report["approvals"], report["statements"], report["targets"]) == ([], [], [])
    assert report["charts"] == {
        "acknowledgements_over_time": [[800.0, 1]],
        "deliveries_over_time": {"email": [[60.0, 1]], "sms": [[60.0, 1], [180.0, 2], [750.0, 3]]},
    }


def test_the_drill_targets_pass_or_fail_on_the_scripted_answers(drill: str) -> None:
    """c-ada acknowledged 800 s after the start; nobody else did."""
    report = wiring.container().reports.report(drill)
    results = check_targets(report, [AckTarget("executive", 0.5, 800), AckTarget(None, 0.5, 900)])
    assert [(r.asked, r.in_time, r.needed, r.passed) for r in results] == [
        (2, 1, 1, True),
        (4, 1, 2, False),
    ]


def test_each_format_and_each_bad_request(api: Api, drill: str, client: Client) -> None:
    for chosen, kind in (("md", "text/markdown"), ("html", "text/html"), ("csv", "text/csv")):
        answer = client.http.get(
            f"/v1/incidents/{drill}/report?format={chosen}",
            headers={"Authorization": f"Bearer {LOCAL_KEY}"},
        )
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith(kind)
        assert answer.headers["Cache-Control"] == "no-store"
    page = api.get(f"/v1/incidents/{drill}/report?format=html")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = api.get(f"/v1/incidents/{drill}/report?format=md").body.decode()
    assert "| sms | 5 | 5 | 3 | 0 | 2 | 0 |" in text
    rows = list(
        csv.reader(io.StringIO(api.get(f"/v1/incidents/{drill}/report?format=csv").body.decode()))
    )
    assert ["person", "c-ada", "seconds_to_acknowledge", "80.0"] in rows
    bad = api.get(f"/v1/incidents/{drill}/report?format=pdf")
    assert bad.status_code == 400
    assert bad.json_body["error"] == {
        "code": "invalid_request",
        "message": "must be one of json, md, html, csv; got 'pdf'",
        "field": "format",
    }
    twice = api.get(f"/v1/incidents/{drill}/report?format=md&format=csv")
    assert (twice.status_code, twice.json_body["error"]["field"]) == (400, "format")
    stray = api.get(f"/v1/incidents/{drill}/report?fromat=md")
    assert (stray.status_code, stray.json_body["error"]["field"]) == (400, "fromat")
    missing = api.get("/v1/incidents/inc_01M8T7NT80ZXVPT9RNSHEQV800/report")
    assert (missing.status_code, missing.json_body["error"]["code"]) == (404, "not_found")
    assert api.get("/v1/incidents/not-an-id/report").status_code == 404
    assert client.http.get(f"/v1/incidents/{drill}/report").status_code == 401


def tocsin(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out, services=wiring.container(), err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_prints_or_writes_the_same_report(drill: str, tmp_path: Any, api: Api) -> None:
    code, out, _ = tocsin("report", drill)
    assert code == 0
    assert json.loads(out) == api.get(f"/v1/incidents/{drill}/report").json_body
    target = tmp_path / "report.html"
    code, out, _ = tocsin("report", drill, "--format", "html", "--output", str(target))
    assert (code, out) == (0, f"wrote the html to {target}\n")
    assert target.read_text().startswith("<!DOCTYPE html>")
    code, _, err = tocsin("report", drill, "--format", "docx")
    assert (code, err) == (2, "tocsin: --format: must be one of json, md, html, csv; got 'docx'\n")
    code, _, err = tocsin("report", "inc_01M8T7NT80ZXVPT9RNSHEQV800")
    assert (code, err) == (2, "tocsin: no incident inc_01M8T7NT80ZXVPT9RNSHEQV800\n")


def test_analytics_counts_the_exercise_apart_with_its_pages_and_hours(
    api: Api, drill: str, client: Client
) -> None:
    contact = {
        "name": "Ada Example",
        "roles": ["executive"],
        "teams": ["site-copenhagen"],
        "phone": "+12025550101",
        "email": "ada@example.com",
        "timezone": "Europe/Copenhagen",
        "working_hours": ["weekdays 09:00-17:00"],
    }
    saved = client.http.put(
        "/v1/contacts/c-ada",
        headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
        body=json.dumps(contact).encode(),
    )
    assert saved.status_code == 200, saved.json_body
    figures = api.get("/v1/analytics?since=1d").json_body
    assert (figures["since"], figures["until"], figures["complete"]) == (
        (T + timedelta(seconds=900) - timedelta(days=1)).isoformat(),
        iso(900),
        True,
    )
    assert figures["real"]["incidents"] == 0 and figures["real"]["pages"] == []
    exercises = figures["exercises"]
    assert exercises["incidents"] == 1
    assert exercises["mtta_seconds"] == {"count": 1, "median": 800.0, "p90": 800.0, "mean": 800.0}
    assert exercises["mttr_seconds"] == {"count": 1, "median": 900.0, "p90": 900.0, "mean": 900.0}
    assert (exercises["unacknowledged"], exercises["still_open"]) == (0, 0)
    assert list(exercises["by_type"]) == ["it.outage"]
    # A page: a person alerted at one step. Ada's two (the email at 0, the page at 720) were
    # at 03:00 and 03:12 in Copenhagen on a Wednesday: both outside 09:00-17:00.
    assert exercises["pages"] == [
        {"contact_id": "c-ada", "pages": 2, "out_of_hours": 2},
        {"contact_id": "c-dina", "pages": 2, "out_of_hours": None},
        {"contact_id": "c-fay", "pages": 2, "out_of_hours": None},
        {"contact_id": "c-chen", "pages": 1, "out_of_hours": None},
    ]
    assert figures["drill_pass_rate"] == []
    page = api.get("/v1/analytics?since=2w&format=html")
    assert page.status_code == 200 and page.body.decode().count("<svg") == 3


@pytest.mark.parametrize(
    ("since", "message"),
    [
        (
            "abc",
            "must be a whole number of hours, days or weeks such as 90d, 12h or 8w; got 'abc'",
        ),
        (
            "-5d",
            "must be a whole number of hours, days or weeks such as 90d, 12h or 8w; got '-5d'",
        ),
        ("0d", "must be more than nothing; got '0d'"),
        (
            "401d",
            "must be at most 400d, the incidents' retention (older incidents are gone); got '401d'",
        ),
        (
            "99999w",
            "must be at most 400d, the incidents' retention (older incidents are gone); "
            "got '99999w'",
        ),
    ],
)
def test_analytics_refuses_a_bad_period_clearly(api: Api, since: str, message: str) -> None:
    answer = api.get(f"/v1/analytics?since={since}")
    assert answer.status_code == 400
    assert answer.json_body["error"] == {
        "code": "invalid_request",
        "message": message,
        "field": "since",
    }


def test_a_contact_with_impossible_working_hours_is_refused(client: Client) -> None:
    contact = {"name": "Gil Example", "roles": ["executive"], "email": "gil@example.com"}
    for hours, message in (
        (
            ["weekdays 9-17"],
            "must be days and hours such as 'weekdays 09:00-17:00' or 'mon,wed 08:00-12:00'",
        ),
        (
            ["someday 09:00-17:00"],
            "names an unknown day 'someday': use mon..sun, weekdays, weekend or all",
        ),
        (
            ["mon 25:00-26:00"],
            "has an hour that does not exist; write it as 'weekdays 09:00-17:00' or "
            "'mon,wed 08:00-12:00'",
        ),
    ):
        answer = client.http.put(
            "/v1/contacts/c-gil",
            headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
            body=json.dumps({**contact, "working_hours": hours}).encode(),
        )
        assert answer.status_code == 400
        assert answer.json_body["errors"] == [{"field": "working_hours", "message": message}]
    assert wiring.container().directory.get_contacts(["c-gil"]) == {}


def test_the_html_report_reads_well_in_chromium_at_phone_width(
    api: Api, drill: str, browser: Any
) -> None:
    html = api.get(f"/v1/incidents/{drill}/report?format=html").body.decode()
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(html)
    assert errors == []
    assert page.evaluate("document.documentElement.lang") == "en"
    # Nothing wider than the phone but the tables, which scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3
    names = [charts.nth(i).get_attribute("aria-labelledby") for i in range(3)]
    assert names == [
        "deliveries-title deliveries-desc",
        "acks-title acks-desc",
        "by-role-title by-role-desc",
    ]
    assert page.locator("script").count() == 0
    (PROJECT / ".local").mkdir(exist_ok=True)
    page.screenshot(path=str(PROJECT / ".local" / "report.png"), full_page=True)
    wide = browser.new_page(viewport={"width": 1100, "height": 900})
    wide.set_content(html)
    wide.locator("#h-reach").scroll_into_view_if_needed()
    wide.screenshot(path=str(PROJECT / ".local" / "report-charts.png"), full_page=True)
    page.close()
    wide.close()


def test_the_analytics_page_reads_well_in_chromium_too(api: Api, drill: str, browser: Any) -> None:
    html = api.get("/v1/analytics?since=1d&format=html").body.decode()
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_content(html)
    assert errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    titles = page.locator("svg[role=img] > title")
    assert [titles.nth(i).text_content() for i in range(titles.count())] == [
        "Time to acknowledge and to resolve, by severity",
        "Pages per person",
        "Drill pass rate per month",
    ]
    assert "Exercise: it.outage" in page.locator("main").inner_text()
    page.screenshot(path=str(PROJECT / ".local" / "analytics.png"), full_page=True)
    page.close()
