"""Updates through the API, the queues and moto, with an injected clock: the breach's update
reaches everyone the crisis cell reached, in their language; an overdue update reminds the
communications lead once, through the one-minute tick; bad updates are a clear 4xx that sends
nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
BO = "+12025550102"


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def call(client: Client, path: str, key: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.request("POST", path, headers=headers, body=json.dumps(body).encode())


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def test_an_update_reaches_everyone_reached_and_an_overdue_one_reminds_once(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    bo = key_maker("bo-key", {Scope.STATEMENTS, Scope.READ}, contact_id="c-bo")
    shared = key_maker("ops-bot", {Scope.STATEMENTS})
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    paged = {phone for phone, _ in sent_sms(world)}
    path = f"/v1/incidents/{incident_id}/updates"
    before = len(sent_sms(world))
    for key, body, status in [
        (bo, {"text": ""}, 400),
        (bo, {}, 400),
        (bo, {"text": "ok", "extra": 1}, 400),
        (shared, {"text": "Contained."}, 403),  # a person speaks, with their own key
    ]:
        assert call(client, path, key, body).status_code == status
    runner.drain()
    assert len(sent_sms(world)) == before  # nothing sent

    clock.current = NIGHT + timedelta(minutes=61)
    tick(client)
    tick(client)
    runner.drain()
    reminders = [b for p, b in sent_sms(world) if p == BO and "opdatering 1" in b]
    assert len(reminders) == 1  # the communications lead, once

    sent = call(client, path, bo, {"text": {"en": "Contained.", "da": "Inddæmmet."}})
    assert sent.status_code == 202, sent.json_body
    assert sent.json_body["drafts"] == [
        "staff-en-2",
        "staff-da-2",
        "customers-en-2",
        "public-en-2",
        "public-da-2",
    ]
    runner.drain()
    updates = {p: b for p, b in sent_sms(world)[before:] if b.startswith("TOCSIN")}
    assert {p for p, b in updates.items() if "UPDATE 1" in b or "OPDATERING 1" in b} == paged
    assert updates[BO].endswith("Inddæmmet.")
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    kinds = [entry["kind"] for entry in timeline]
    assert kinds.count("update_due") == 1 and kinds.count("update_sent") == 1
