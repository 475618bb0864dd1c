"""Heartbeats through the app: pings over HTTP, the one-minute tick as EventBridge invokes it,
and the local runner draining the queues into the evaluator and the dispatcher, on a clock the
test sets (``use_container(clock=...)``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.core.access import ApiKey, Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from chalicelib.storage.heartbeats import DynamoHeartbeatStore
from fakes import FixedClock
from local.runner import QueueRunner, ScheduleBinding, schedule_bindings, scheduled_event
from tests.conftest import LOCAL_KEY
from tests.e2e.conftest import use_container

WATCHDOG = "monitoring-watchdog"  # every 5m, grace 10m, critical (policies/watching.yaml)
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def make_key(world: boto3.Session, settings: Settings, name: str, **bound: Any) -> str:
    key = generate_api_key()
    DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).add(
        key, ApiKey(name, frozenset(bound.pop("scopes", ())), **bound), NIGHT
    )
    return key


def ping(client: Client, name: str, key: str | None, body: bytes = b"", **headers: str) -> Any:
    sent = {"Authorization": f"Bearer {key}"} if key else {}
    return client.http.post(f"/v1/heartbeats/{name}", headers={**sent, **headers}, body=body)


def tick(client: Client) -> None:
    client.lambda_.invoke("check_heartbeats", scheduled_event("check_heartbeats", "us-east-1"))


def states(world: boto3.Session, settings: Settings, name: str) -> dict[str, Any]:
    return DynamoHeartbeatStore(world.client("dynamodb"), settings.incidents_table).states([name])


def incidents_for(world: boto3.Session, settings: Settings, dedup_key: str) -> list[dict[str, Any]]:
    """Every incident ever opened for the dedup key, read from the table itself."""
    pages = (
        world.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=settings.incidents_table,
            FilterExpression="sk = :sk AND dedup_key = :key",
            ExpressionAttributeValues={":sk": {"S": "INCIDENT"}, ":key": {"S": dedup_key}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def incident(client: Client, incident_id: str) -> Any:
    headers = {"Authorization": f"Bearer {LOCAL_KEY}"}
    return client.http.get(f"/v1/incidents/{incident_id}", headers=headers).json_body


def test_the_runner_fires_the_heartbeat_tick_every_minute() -> None:
    assert ScheduleBinding("check_heartbeats", 60) in schedule_bindings(app)


def test_a_missed_heartbeat_opens_one_incident_and_a_returning_one_resolves_it(
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    clock: FixedClock,
) -> None:
    key = make_key(world, settings, "alertmanager-watchdog", heartbeats=frozenset({WATCHDOG}))
    assert ping(client, WATCHDOG, key).status_code == 200  # 02:00
    clock.advance(minutes=14, seconds=59)
    tick(client)
    runner.drain()
    assert incidents_for(world, settings, f"heartbeat:{WATCHDOG}") == []  # not yet

    clock.advance(seconds=1)  # 02:15: 5m and 10m of grace are over
    tick(client)
    runner.drain()
    clock.advance(minutes=1)
    tick(client)  # still silent: the same incident, not a second one
    runner.drain()
    [opened] = incidents_for(world, settings, f"heartbeat:{WATCHDOG}")
    incident_id = opened["pk"]["S"].removeprefix("INCIDENT#")
    missed = incident(client, incident_id)
    assert (missed["status"], missed["type"], missed["severity"]) == (
        "open",
        "heartbeat.missed",
        "critical",
    )
    assert (missed["rule_id"], missed["plan_id"]) == ("heartbeat-missed", "tocsin-watch")
    assert missed["title"] == (
        f"Heartbeat {WATCHDOG} missed: no ping since 2026-12-02 02:00:00 UTC "
        "(expected every 5m, grace 10m)"
    )
    assert missed["opened_at"] == "2026-12-02T02:15:00+00:00"
    assert "notification_sent" in [entry["kind"] for entry in missed["timeline"]]  # paged

    clock.advance(minutes=4)  # 02:20: the watchdog is back
    answer = ping(client, WATCHDOG, key, b'{"receiver": "tocsin", "status": "firing"}')
    assert answer.status_code == 200
    assert answer.json_body == {
        "heartbeat": WATCHDOG,
        "received_at": "2026-12-02T02:20:00+00:00",
        "due_by": "2026-12-02T02:35:00+00:00",
        "resolving": True,
    }
    runner.drain()
    resolved = incident(client, incident_id)
    assert (resolved["status"], resolved["resolved_at"]) == (
        "resolved",
        "2026-12-02T02:20:00+00:00",
    )
    clock.advance(minutes=1)
    tick(client)  # pinging again: nothing new opens
    runner.drain()
    assert len(incidents_for(world, settings, f"heartbeat:{WATCHDOG}")) == 1


def test_a_ping_for_an_undeclared_heartbeat_is_404_and_names_it(client: Client) -> None:
    answer = ping(client, "nightly-bakup", LOCAL_KEY)
    assert answer.status_code == 404
    error = answer.json_body["error"]
    assert error["code"] == "not_found"
    assert "no heartbeat 'nightly-bakup' is declared in the playbook" in error["message"]
    assert "declared: monitoring-watchdog, nightly-backup" in error["message"]


def test_a_ping_from_a_key_not_bound_to_the_heartbeat_is_403_and_records_nothing(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    other = make_key(world, settings, "backup-job", heartbeats=frozenset({"nightly-backup"}))
    reader = make_key(world, settings, "dashboard", scopes={Scope.READ, Scope.TRIGGER})
    for key, bound in ((other, "nightly-backup"), (reader, "no heartbeat")):
        answer = ping(client, WATCHDOG, key)
        assert answer.status_code == 403
        assert answer.json_body["error"]["code"] == "forbidden"
        assert (
            f"not bound to heartbeat '{WATCHDOG}' (it is bound to {bound})"
            in (answer.json_body["error"]["message"])
        )
    assert states(world, settings, WATCHDOG) == {}


def test_a_ping_without_a_valid_key_is_401(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    assert ping(client, WATCHDOG, None).status_code == 401
    assert ping(client, WATCHDOG, "not-a-key").status_code == 401
    assert states(world, settings, WATCHDOG) == {}


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"", {}),
        (b"backup finished in 42 min", {"Content-Type": "text/plain"}),
        (b'{"alerts": []}', {"Content-Type": "application/json"}),
    ],
)
def test_any_body_of_any_type_is_a_ping(
    client: Client, body: bytes, headers: dict[str, str]
) -> None:
    answer = ping(client, "nightly-backup", LOCAL_KEY, body, **headers)
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["heartbeat"] == "nightly-backup"
    received = datetime.fromisoformat(answer.json_body["received_at"])
    assert datetime.fromisoformat(answer.json_body["due_by"]) == received + timedelta(hours=26)


def test_a_body_over_the_limit_is_413_and_records_nothing(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    answer = ping(client, "nightly-backup", LOCAL_KEY, b"x" * (256 * 1024 + 1))
    assert answer.status_code == 413
    assert states(world, settings, "nightly-backup") == {}
