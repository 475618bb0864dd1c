"""A 202 means the event will be decided: what is accepted is measured as it will be stored (so
it fits), and an event that still cannot be decided ends ``failed`` with its reason, never
``pending`` for ever."""

from __future__ import annotations

import json
from typing import Any

import boto3
from chalice.test import Client

from chalicelib.core.activation.intake import MAX_STORED_EVENT_BYTES
from chalicelib.settings import Settings
from local.runner import QueueRunner
from tests.aws_faults import AwsFaults
from tests.e2e.conftest import Api, use_container
from tests.e2e.test_bad_input import GOOD, nothing_was_accepted
from tests.e2e.test_partial_batches import dead_letter_ids


def non_ascii_event(note_characters: int, summary: str = "Records exposed") -> dict[str, Any]:
    return {**GOOD, "summary": summary, "details": {"note": "é" * note_characters}}


def body_of(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def decided(api: Api, runner: QueueRunner, event_id: str) -> dict[str, Any]:
    runner.drain()
    return dict(api.get(f"/v1/events/{event_id}").json_body)


def test_a_240_kb_non_ascii_event_is_accepted_and_decided(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    """Stored as ``\\u00e9`` (six bytes each) it did not fit its DynamoDB item: 500."""
    document = non_ascii_event(120_000)
    assert 239_000 < len(body_of(document)) < 241_000
    response = api.post_event(None, raw=body_of(document))
    assert response.status_code == 202, response.body[:200]
    decision = decided(api, runner, response.json_body["event_id"])
    assert decision["status"] == "activated"
    timeline = api.get(f"/v1/incidents/{decision['incident_id']}").json_body["timeline"]
    [received] = [entry for entry in timeline if entry["kind"] == "event_received"]
    assert received["data"]["event"]["details"] == document["details"]  # every character kept


def test_an_event_whose_timeline_entry_did_not_fit_is_decided(
    api: Api, runner: QueueRunner
) -> None:
    """Its record fitted, so it got 202; its timeline entry (the record plus the summary) did
    not, so the opening transaction failed on every try and it stayed pending for ever."""
    response = api.post_event(None, raw=body_of(non_ascii_event(66_100, summary="é" * 1000)))
    assert response.status_code == 202
    assert decided(api, runner, response.json_body["event_id"])["status"] == "activated"


def test_an_event_too_large_once_stored_is_refused_and_nothing_is_kept(
    api: Api, world: boto3.Session, settings: Settings
) -> None:
    """Within the body's limit (256 KiB) but over it once its ids and times are added: 413
    before anything is recorded, saying what to change."""
    base = len(body_of(non_ascii_event(0)))
    document = non_ascii_event((settings.max_body_bytes - base) // 2)  # é: two bytes each
    assert len(body_of(document)) <= settings.max_body_bytes
    response = api.post_event(None, raw=body_of(document))
    assert response.status_code == 413
    message = response.json_body["error"]["message"]
    assert f"once stored; the limit is {MAX_STORED_EVENT_BYTES}" in message
    assert "details" in message
    assert nothing_was_accepted(world, settings)


def test_an_event_that_cannot_be_decided_ends_failed_with_its_reason(
    api: Api, client: Client, world: boto3.Session, settings: Settings
) -> None:
    """DynamoDB refuses every opening transaction: after the queue's last receive the event is
    ``failed`` with why, and its message waits in the dead-letter queue for a redrive."""
    faults = AwsFaults(world).fail(
        "dynamodb", "TransactWriteItems", "ValidationException", "Item size is too large"
    )
    event_id = api.post_event(GOOD).json_body["event_id"]  # recorded before the fault
    use_container(session=faults.session)
    runner = QueueRunner(app_for_runner(), client.lambda_.invoke, session=world, retry_delay=0)
    runner.drain()

    decision = api.get(f"/v1/events/{event_id}").json_body
    assert (decision["status"], decision["code"]) == ("failed", "undecidable")
    assert decision["reason"] == (
        "not decided: ClientError: An error occurred (ValidationException) when calling the "
        "TransactWriteItems operation: Item size is too large (tried 5 times)"
    )
    assert decision["decided_at"] is not None
    assert faults.calls["dynamodb.TransactWriteItems"] == settings.max_receive_count
    assert len(dead_letter_ids(world, settings.ingest_queue)) == 1


def app_for_runner() -> Any:
    from app import app

    return app
