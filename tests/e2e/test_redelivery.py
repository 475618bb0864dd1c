"""SQS delivers at least once: every queue message handled twice still sends each message once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_email, sent_sms, use_container

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


# The evaluator sends an incident's first 25 messages itself (the demo's 11 all); with none,
# every message goes through the dispatch queue: both paths, each queue message twice.
BOTH_SENDERS = pytest.mark.parametrize("first_batch", [25, 0], ids=["evaluator", "dispatcher"])


@BOTH_SENDERS
def test_every_message_delivered_twice_still_reaches_each_person_once(
    api: Api, client: Client, world: boto3.Session, first_batch: int
) -> None:
    use_container(first_batch=first_batch)
    deliveries: Counter[str] = Counter()

    def invoke_twice(name: str, event: dict[str, Any]) -> None:
        for _ in range(2):
            deliveries[name] += len(event["Records"])
            client.lambda_.invoke(name, event)

    runner = QueueRunner(app, invoke_twice, session=world, retry_delay=0)
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()

    assert deliveries["evaluate_events"] == 2
    if first_batch:  # sent by both deliveries of the event: the ledger lets one through each
        assert deliveries["dispatch_notifications"] == 0
    else:
        assert deliveries["dispatch_notifications"] >= 4  # the twice-evaluated event queued twice
    sms = Counter(phone for phone, _ in sent_sms(world))
    email = Counter(address for address, _ in sent_email(world))
    assert len(sms) == 5 and set(sms.values()) == {1}
    assert len(email) == 6 and set(email.values()) == {1}
    decision = api.get(f"/v1/events/{event_id}").json_body
    timeline = api.get(f"/v1/incidents/{decision['incident_id']}").json_body["timeline"]
    kinds = Counter(entry["kind"] for entry in timeline)
    assert kinds["notification_sent"] == 11  # 11 people, once each (statements wait)
    assert kinds["activated"] == 1 and kinds["planned"] == 1


@pytest.mark.parametrize("failing", ["evaluate_events", "dispatch_notifications"])
def test_a_failing_batch_is_retried_and_nothing_is_lost(
    api: Api, client: Client, world: boto3.Session, failing: str
) -> None:
    use_container(first_batch=25 if failing == "evaluate_events" else 0)
    failures = {failing: 1}

    def flaky(name: str, event: dict[str, Any]) -> None:
        if failures.get(name):
            failures[name] -= 1
            raise RuntimeError("Lambda timed out")
        client.lambda_.invoke(name, event)

    QueueRunner(app, flaky, session=world, retry_delay=0).drain()
    api.post_event(DEMO)
    QueueRunner(app, flaky, session=world, retry_delay=0).drain()
    assert failures == {failing: 0}  # it did fail once
    assert len(sent_sms(world)) == 5 and len(sent_email(world)) == 6


def test_a_resolve_delivered_twice_stays_resolved(
    api: Api, client: Client, world: boto3.Session
) -> None:
    def invoke_twice(name: str, event: dict[str, Any]) -> None:
        for _ in range(2):
            client.lambda_.invoke(name, event)

    runner = QueueRunner(app, invoke_twice, session=world, retry_delay=0)
    opened = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    resolve = {
        "source": "soc.example.com",
        "type": "cyber.data_breach",
        "action": "resolve",
        "dedup_key": DEMO["dedup_key"],
    }
    resolved = api.post_event(resolve).json_body["event_id"]
    runner.drain()

    decision = api.get(f"/v1/events/{resolved}").json_body
    assert (decision["status"], decision["code"]) == ("resolved", "resolve")
    incident_id = api.get(f"/v1/events/{opened}").json_body["incident_id"]
    assert decision["incident_id"] == incident_id
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    assert [entry["kind"] for entry in timeline].count("resolved") == 1
