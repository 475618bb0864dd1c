"""``Idempotency-Key`` over HTTP: a monitoring tool retrying after a timeout gets the first
answer and the same event id, and nothing is queued again, so nobody is paged twice; the same
key for another body is 422; a request still in flight is 409; keys are per API key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from chalicelib.core.activation.idempotency import fingerprint
from chalicelib.core.ids import new_ulid
from chalicelib.settings import Settings
from chalicelib.storage.idempotency import DynamoIdempotencyStore
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, load_event
from tests.e2e.conftest import Api, sent_sms
from tests.e2e.test_bad_input import GOOD
from tests.e2e.test_integrations import make_key

__all__ = ["make_key"]  # the fixture, shared

NO_DEDUP_KEY = {**GOOD}  # a trigger without dedup_key: each request is a new event


def post(client: Client, path: str, body: Any, key: str | None, api_key: str = LOCAL_KEY) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.http.post(path, headers=headers, body=json.dumps(body).encode())


def queued(world: boto3.Session, settings: Settings) -> int:
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_retried_trigger_gets_the_same_answer_and_pages_nobody_twice(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    """Without the header, the retry opened a second incident: no dedup_key, a new event."""
    first = post(client, "/v1/events", NO_DEDUP_KEY, "8d6f6c4e-2a51-4c1e-9d1a-6e1c0b7f7a01")
    retry = post(client, "/v1/events", NO_DEDUP_KEY, "8d6f6c4e-2a51-4c1e-9d1a-6e1c0b7f7a01")
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.body == first.body
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert queued(world, settings) == 1
    runner.drain()
    assert len(sent_sms(world)) == 3  # breach-response (1,200 affected), once

    without = post(client, "/v1/events", NO_DEDUP_KEY, None)
    assert without.json_body["event_id"] != first.json_body["event_id"]  # as before


def test_the_same_key_with_another_body_is_422_and_keeps_nothing(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    assert post(client, "/v1/events", GOOD, "k-1").status_code == 202
    other = post(client, "/v1/events", {**GOOD, "summary": "Something else"}, "k-1")
    assert other.status_code == 422
    error = other.json_body["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "'k-1' was used within 24 hours for another request" in error["message"]
    assert queued(world, settings) == 1


def test_a_request_still_in_flight_with_the_key_is_409(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    """Another instance is handling the first request (its claim is fresh): the retry is told
    to come back, and nothing is accepted twice."""
    body = json.dumps(GOOD).encode()
    store = DynamoIdempotencyStore(world.client("dynamodb"), settings.incidents_table)
    now = datetime.now(UTC)
    store.begin(
        "local-development",  # the local key's name: keys scope the header
        "k-2",
        new_ulid(now),
        fingerprint("POST", "/v1/events", body),
        now,
        now - timedelta(seconds=60),
        now + timedelta(hours=24),
    )
    answer = client.http.post(
        "/v1/events",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {LOCAL_KEY}",
            "Idempotency-Key": "k-2",
        },
        body=body,
    )
    assert answer.status_code == 409
    assert "still being handled" in answer.json_body["error"]["message"]
    assert queued(world, settings) == 0


def test_keys_are_per_api_key(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    other = make_key("soc-scripts", {Scope.TRIGGER})
    mine = post(client, "/v1/events", GOOD, "shared-key")
    theirs = post(client, "/v1/events", GOOD, "shared-key", api_key=other)
    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert mine.json_body["event_id"] != theirs.json_body["event_id"]
    assert "Idempotent-Replayed" not in theirs.headers
    assert queued(world, settings) == 2


@pytest.mark.parametrize("key", ["", "k" * 256, "two words", "ümlaut"])
def test_a_bad_key_is_refused_naming_the_header_and_keeps_nothing(
    client: Client, world: boto3.Session, settings: Settings, key: str
) -> None:
    answer = post(client, "/v1/events", GOOD, key)
    assert answer.status_code == 400
    error = answer.json_body["error"]
    assert (error["code"], error["field"]) == ("invalid_request", "Idempotency-Key")
    assert "1 to 255 visible ASCII characters" in error["message"]
    assert queued(world, settings) == 0


def test_a_refused_request_leaves_the_key_free_for_its_corrected_retry(client: Client) -> None:
    refused = post(client, "/v1/events", {**GOOD, "severity": "apocalyptic"}, "k-3")
    assert refused.status_code == 400
    assert post(client, "/v1/events", GOOD, "k-3").status_code == 202


def test_integrations_honour_the_key_in_their_own_envelopes(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    key = make_key("monitor", {Scope.TRIGGER, Scope.RESOLVE}, event_type="it.outage")
    trigger = {**load_event("pagerduty-trigger.json"), "routing_key": key}
    first = post(client, "/v1/integrations/pagerduty", trigger, "pd-1", api_key=key)
    retry = post(client, "/v1/integrations/pagerduty", trigger, "pd-1", api_key=key)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json_body == first.json_body and retry.headers["Idempotent-Replayed"] == "true"
    changed = {**trigger, "payload": {**trigger["payload"], "summary": "Other"}}
    reused = post(client, "/v1/integrations/pagerduty", changed, "pd-1", api_key=key)
    assert reused.status_code == 422
    assert set(reused.json_body) == {"status", "message", "errors"}  # PagerDuty's envelope

    alert = load_event("alertmanager-firing.json")
    for _ in range(2):
        answer = post(client, "/v1/integrations/alertmanager", alert, "am-1")
        assert answer.status_code == 202
    assert queued(world, settings) == 1 + len(alert["alerts"])
