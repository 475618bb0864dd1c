"""A monitoring tool's first alert pages someone: the example playbook handles what the
documented integrations send by default (type ``it.alert``), with severity mapping.

The alerts are posted with the local key, as in README's tour, at a night hour when the
weekly on-call rotation has c-fay holding the pager.
"""

from __future__ import annotations

import io
import re
import shlex
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.settings import Settings
from chalicelib.wiring import Container
from fakes import FixedClock
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT, load_event
from tests.e2e.conftest import Api, sent_email, sent_sms, use_container
from tests.e2e.test_integrations import bearer, post
from tocsin_cli.main import main

# Wednesday 2 December 2026, 03:00 in Copenhagen: c-fay's week of the it-duty rotation.
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
FAY_PHONE, FAY_EMAIL = "+12025550105", "fay@example.com"
IT_SECURITY = {"chen@example.com", FAY_EMAIL}  # the it-security role in examples/contacts.csv


@pytest.fixture(autouse=True)
def night(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def decisions(api: Api, event_ids: list[str]) -> list[dict[str, Any]]:
    return [api.get(f"/v1/events/{event_id}").json_body for event_id in event_ids]


def paged_by(api: Api, incident_id: str) -> list[str]:
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    return [
        person
        for entry in timeline
        if entry["kind"] == "paged"
        for person in entry["data"]["paged"]
    ]


@pytest.mark.parametrize(
    ("integration", "sample"),
    [
        ("alertmanager", "alertmanager-default.json"),
        ("grafana", "grafana-unified.json"),
        ("grafana", "grafana-legacy.json"),
    ],
)
def test_a_monitoring_tools_first_alert_pages_the_person_on_call(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    integration: str,
    sample: str,
) -> None:
    answer = post(client, f"/v1/integrations/{integration}", load_event(sample), bearer())
    assert answer.status_code == 202
    runner.drain()
    first = decisions(api, answer.json_body["event_ids"])[0]
    assert (first["status"], first["reason"]) == ("activated", "matched rule monitoring-alert-page")
    incident = api.get(f"/v1/incidents/{first['incident_id']}").json_body
    assert (incident["type"], incident["plan_id"]) == ("it.alert", "monitoring-page")
    assert paged_by(api, first["incident_id"]) == ["c-fay"]
    # No push token in the examples: the chain [push, sms, voice] falls back to SMS at once.
    assert [phone for phone, _ in sent_sms(world)] == [FAY_PHONE]


def test_a_pagerduty_style_tool_pages_the_person_on_call_too(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    sample = {**load_event("pagerduty-trigger.json"), "routing_key": LOCAL_KEY}
    answer = post(client, "/v1/integrations/pagerduty", sample)
    runner.drain()
    [decision] = decisions(api, [answer.json_body["event_id"]])
    assert decision["reason"] == "matched rule monitoring-alert-page"  # "error" is high
    assert paged_by(api, decision["incident_id"]) == ["c-fay"]
    assert [phone for phone, _ in sent_sms(world)] == [FAY_PHONE]


def test_severity_decides_page_email_or_nothing(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    answer = post(
        client, "/v1/integrations/alertmanager", load_event("alertmanager-default.json"), bearer()
    )
    runner.drain()
    critical, warning, info = decisions(api, answer.json_body["event_ids"])
    assert critical["reason"] == "matched rule monitoring-alert-page"
    assert (warning["status"], warning["reason"]) == (
        "activated",
        "matched rule monitoring-alert-notice",
    )
    assert (info["status"], info["code"], info["reason"]) == (
        "suppressed",
        "below_severity",
        # The near miss names the lowest bar missed (ties go to the later rule).
        "below severity: info < medium (rule monitoring-alert-notice)",
    )
    # The warning is an email to IT security; only the critical alert sent a text.
    warned = {to for to, subject in sent_email(world) if "Checkout p99 latency" in subject}
    assert warned == IT_SECURITY
    assert [phone for phone, _ in sent_sms(world)] == [FAY_PHONE]
    assert paged_by(api, warning["incident_id"]) == []


def documented_key_command() -> list[str]:
    """The first ``tocsin keys create`` in docs/INTEGRATIONS.md, as a shell would split it."""
    text = (PROJECT / "docs" / "INTEGRATIONS.md").read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    line = next(line for line in block.splitlines() if line.startswith("tocsin keys create"))
    return shlex.split(line, comments=True)[1:]


def test_the_key_integrations_md_shows_pages_on_call_with_alertmanagers_alert(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    argv = documented_key_command()
    assert argv[:2] == ["keys", "create"] and "alertmanager" in argv
    out = io.StringIO()
    assert main(argv, out=out, services=Container(Settings.from_environment(), world)) == 0
    found = re.search(r"api key:\s+(\S+)", out.getvalue())
    assert found is not None
    answer = post(
        client,
        "/v1/integrations/alertmanager",
        load_event("alertmanager-default.json"),
        bearer(found.group(1)),
    )
    assert answer.status_code == 202
    runner.drain()
    critical = decisions(api, answer.json_body["event_ids"])[0]
    assert critical["reason"] == "matched rule monitoring-alert-page"
    assert paged_by(api, critical["incident_id"]) == ["c-fay"]
    resolved = load_event("alertmanager-default.json")
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
    post(client, "/v1/integrations/alertmanager", resolved, bearer(found.group(1)))
    runner.drain()  # the key's resolve scope lets the tool close what it opened
    incident = api.get(f"/v1/incidents/{critical['incident_id']}").json_body
    assert incident["status"] == "resolved"
