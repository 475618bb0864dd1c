"""Retention: every kind of record carries an expiry from the playbook's settings, all records of
one incident carry the same one, and reads treat an expired record as gone (moto, like a slow
DynamoDB TTL, never deletes anything)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from chalicelib.settings import Settings
from chalicelib.storage.playbooks import DynamoPlaybookStore
from chalicelib.storage.tables import ALL_TABLES
from fakes import FixedClock
from local.bootstrap import table_names
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container
from tocsin_cli.policies import read_policy_dir

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RETENTION = {"id": "retention", "incidents": "45d", "events": "10d", "links": "5d",
             "message_ids": "7d", "audit": "100d"}  # fmt: skip
OUTAGE = {
    "source": "monitoring",
    "type": "it.outage",
    "severity": "critical",
    "summary": "Payments API down",
    "dedup_key": "payments-down",
}


def apply_settings(world: boto3.Session, settings: Settings, retention: dict[str, Any]) -> None:
    documents = read_policy_dir(PROJECT / "policies").sections
    others = [doc for doc in documents.get("settings", []) if doc.get("id") != "retention"]
    documents["settings"] = [*others, retention]  # the site's and the budget's stay as they are
    DynamoPlaybookStore(world.client("dynamodb"), settings.config_table).apply(documents, NOW)
    use_container(clock=wiring.container().clock)  # a new container: the playbook read afresh


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NOW)
    use_container(clock=fixed)
    return fixed


def scan(world: boto3.Session, settings: Settings) -> list[dict[str, Any]]:
    dynamodb = world.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(TableName=settings.incidents_table)
    return [
        {name: next(iter(value.values())) for name, value in item.items()}
        for page in pages
        for item in page["Items"]
    ]


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def open_outage(api: Api, runner: QueueRunner) -> tuple[str, str]:
    event_id = api.post_event(OUTAGE).json_body["event_id"]
    runner.drain()
    return event_id, str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def test_every_record_of_an_incident_carries_its_one_expiry_and_pointers_never_outlive_it(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings,
    clock: FixedClock,
) -> None:  # fmt: skip
    apply_settings(world, settings, RETENTION)
    event_id, incident_id = open_outage(api, runner)
    clock.current = NOW + timedelta(minutes=3)
    resolved = client.http.post(
        f"/v1/incidents/{incident_id}/resolve",
        headers={"Authorization": "Bearer local-dev-key", "Content-Type": "application/json"},
        body=b"{}",
    )
    assert resolved.status_code == 200
    runner.drain()  # the resolution notices: more ledger items and timeline entries, later

    incident_expiry = epoch(NOW + 45 * DAY)
    assert (
        api.get(f"/v1/incidents/{incident_id}").json_body["expires_at"]
        == (NOW + 45 * DAY).isoformat()
    )
    records = scan(world, settings)
    own = [r for r in records if r["pk"] == f"INCIDENT#{incident_id}"]
    kinds = {r["sk"].split("#")[0] for r in own}
    assert {"INCIDENT", "TL", "SEND", "RESPONDER"} <= kinds
    assert {int(r["expires_at"]) for r in own} == {incident_expiry}  # one expiry, all of them
    links = [r for r in records if r["pk"].startswith(("ACKLINK#", "PAGED#"))]
    assert links and all(
        int(r["expires_at"]) == epoch(datetime.fromisoformat(r["valid_until"]) + 5 * DAY)
        for r in links
    )
    pointers = [r for r in records if r["pk"].startswith("MSG#")]
    assert pointers and {int(r["expires_at"]) for r in pointers} <= {
        epoch(NOW + 7 * DAY),
        epoch(NOW + timedelta(minutes=3) + 7 * DAY),
    }
    [event] = [r for r in records if r["pk"] == f"EVENT#{event_id}"]
    assert int(event["expires_at"]) == epoch(NOW + 10 * DAY)  # from its decision


def test_pointers_are_capped_at_their_incidents_expiry(
    api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings, clock: FixedClock
) -> None:
    apply_settings(world, settings, {**RETENTION, "incidents": "30d", "links": "60d",
                                     "message_ids": "90d"})  # fmt: skip
    open_outage(api, runner)
    records = scan(world, settings)
    capped = [r for r in records if r["pk"].startswith(("ACKLINK#", "PAGED#", "MSG#"))]
    assert capped and {int(r["expires_at"]) for r in capped} == {epoch(NOW + 30 * DAY)}


def test_reads_treat_expired_records_as_gone_though_nothing_was_deleted(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings,
    clock: FixedClock,
) -> None:  # fmt: skip
    apply_settings(world, settings, RETENTION)
    event_id, incident_id = open_outage(api, runner)
    text = next(t for _, t in sent_sms(world) if "/a/" in t)
    link = re.search(r"http://127\.0\.0\.1:8000(/a/[a-z2-7]{16})", text)
    assert link is not None
    stored = {(r["pk"], r["sk"]) for r in scan(world, settings)}

    clock.current = NOW + 4 * DAY
    assert client.http.get(link.group(1)).status_code == 410  # expired link, still explained
    clock.current = NOW + 3 * DAY + 5 * DAY  # links: 5 days after the link stopped working
    assert client.http.get(link.group(1)).status_code == 404
    clock.current = NOW + 10 * DAY - timedelta(seconds=1)
    assert api.get(f"/v1/events/{event_id}").status_code == 200
    clock.current = NOW + 10 * DAY
    assert api.get(f"/v1/events/{event_id}").status_code == 404  # events: 10d
    assert api.get(f"/v1/incidents/{incident_id}").status_code == 200
    clock.current = NOW + 45 * DAY
    gone = api.get(f"/v1/incidents/{incident_id}")
    assert gone.status_code == 404  # the incident and its timeline, all at once
    assert wiring.container().incidents.timeline(incident_id) == []
    assert wiring.container().ledger.reached(incident_id) == []
    assert stored <= {(r["pk"], r["sk"]) for r in scan(world, settings)}  # nothing deleted


def test_an_incident_keeps_the_expiry_of_the_playbook_it_opened_with(
    api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings, clock: FixedClock
) -> None:
    _, before = open_outage(api, runner)  # the defaults: 400 days
    apply_settings(world, settings, RETENTION)
    clock.current = NOW + timedelta(minutes=1)
    api.post_event({**OUTAGE, "summary": "Payments API down (again)"})  # joins: more entries
    runner.drain()
    mine = [r for r in scan(world, settings) if r["pk"] == f"INCIDENT#{before}"]
    assert {int(r["expires_at"]) for r in mine} == {epoch(NOW + 400 * DAY)}
    assert any("again" in r.get("summary", "") for r in mine)


def test_every_table_that_holds_expiring_records_has_ttl_on_that_attribute(
    world: boto3.Session, settings: Settings
) -> None:
    dynamodb = world.client("dynamodb")
    for definition, name in table_names(settings).items():
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if definition.ttl_attribute:
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == (
                "ENABLED",
                definition.ttl_attribute,
            )
    expiring = {d.logical_name for d in ALL_TABLES if d.ttl_attribute}
    assert {"incidents", "contacts"} <= expiring
    assert json.dumps(sorted(expiring))  # and infra/ deploys them from the same definitions


def test_a_checkin_its_answers_and_its_help_incident_carry_their_incidents_expiry(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings,
    clock: FixedClock, key_maker: Any,
) -> None:  # fmt: skip
    """Main's check-ins: every item, answers included, expires with the check-in's incident;
    the "I need help" incident with its own (from when it opened); and past it, reads find
    neither the check-in nor its answers."""
    apply_settings(world, settings, RETENTION)
    key = key_maker("ada-phone", {Scope.ACTIVATE, Scope.CHECKIN, Scope.READ}, contact_id="c-ada")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = {"audience": {"contacts": ["c-ada"]}, "responders": {"role": "facilities"},
               "deadline": "1h"}  # fmt: skip
    started = client.http.post("/v1/checkins", headers=headers, body=json.dumps(request).encode())
    assert started.status_code == 201, started.body
    checkin_id = started.json_body["checkin_id"]
    runner.drain()
    clock.current = NOW + timedelta(minutes=5)
    path = f"/v1/checkins/{checkin_id}/answer"
    assert client.http.post(path, headers=headers, body=b'{"option": 2}').status_code == 200
    runner.drain()

    records = scan(world, settings)
    own = [r for r in records if r["pk"] == f"CHECKIN#{checkin_id}"]
    kinds = {r["sk"].split("#")[0] for r in own}
    assert {"CHECKIN", "AUDIENCE", "LATEST", "ANSWER"} <= kinds
    expiry = epoch(NOW + 45 * DAY)
    assert {int(r["expires_at"]) for r in own} == {expiry}
    incident = api.get(f"/v1/incidents/{checkin_id.replace('chk_', 'inc_')}").json_body
    assert incident["expires_at"] == (NOW + 45 * DAY).isoformat()
    [needing] = api.get(f"/v1/checkins/{checkin_id}").json_body["needing_help"]
    help_incident = api.get(f"/v1/incidents/{needing['incident_id']}").json_body
    assert help_incident["expires_at"] == (NOW + timedelta(minutes=5) + 45 * DAY).isoformat()

    clock.current = NOW + 46 * DAY
    assert api.get(f"/v1/checkins/{checkin_id}").status_code == 404
