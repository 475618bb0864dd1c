"""Every bad request gets a clear error, and nothing is queued or recorded."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib.settings import Settings
from tests.e2e.conftest import Api

GOOD: dict[str, Any] = {
    "source": "soc.example.com",
    "type": "cyber.data_breach",
    "severity": "critical",
    "summary": "Records exposed",
    "metrics": {"affected_people": 1200},
}


def nothing_was_accepted(session: boto3.Session, settings: Settings) -> bool:
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    queued = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    events = session.client("dynamodb").scan(
        TableName=settings.incidents_table,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "EVENT#"}},
    )
    return queued["Attributes"]["ApproximateNumberOfMessages"] == "0" and events["Count"] == 0


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({**GOOD, "severity": "apocalyptic"}, "severity", "must be one of"),
        ({**GOOD, "summary": 7}, "summary", "must be a string"),
        ({**GOOD, "metrics": {"affected_people": "lots"}}, "metrics.affected_people", "number"),
        ({key: value for key, value in GOOD.items() if key != "type"}, "type", "is required"),
        ({key: value for key, value in GOOD.items() if key != "summary"}, "summary", "is required"),
        ({**GOOD, "unexpected": True}, "unexpected", "unknown field"),
        ([GOOD], "$", "must be a JSON object"),
    ],
)
def test_an_invalid_event_is_refused_naming_the_field(
    api: Api, world: boto3.Session, settings: Settings, document: Any, field: str, words: str
) -> None:
    response = api.post_event(document)
    assert response.status_code == 400
    error = response.json_body["error"]
    assert (error["code"], error["field"]) == ("invalid_event", field)
    assert words in error["message"]
    assert nothing_was_accepted(world, settings)


def test_an_empty_event_names_every_missing_field_in_one_answer(
    api: Api, world: boto3.Session, settings: Settings
) -> None:
    response = api.post_event({})
    assert response.status_code == 400
    body = response.json_body
    assert body["error"] == {"code": "invalid_event", "message": "is required", "field": "source"}
    assert body["errors"] == [
        {"field": name, "message": "is required"}
        for name in ("source", "type", "severity", "summary")
    ]
    assert nothing_was_accepted(world, settings)


def test_malformed_json_says_where(api: Api, world: boto3.Session, settings: Settings) -> None:
    response = api.post_event(None, raw=b'{"source": "x",\n "type": }')
    assert response.status_code == 400
    assert response.json_body["error"]["message"] == (
        "the body is not valid JSON: Expecting value at line 2 column 10"
    )
    assert nothing_was_accepted(world, settings)


def test_a_body_that_is_not_json_is_unsupported(
    api: Api, world: boto3.Session, settings: Settings
) -> None:
    response = api.post_event(None, raw=b"source=x&type=y", content_type="text/plain")
    assert response.status_code == 415
    assert "application/json" in response.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)


def test_an_oversize_body_is_refused(api: Api, world: boto3.Session, settings: Settings) -> None:
    huge = json.dumps({**GOOD, "details": {"blob": "x" * (256 * 1024)}}).encode()
    response = api.post_event(None, raw=huge)
    assert response.status_code == 413
    assert "limit is 262144" in response.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)


@pytest.mark.parametrize("key", [None, "", "wrong-key", "tcs_made_up"])
def test_a_missing_or_wrong_key_is_unauthorised(
    api: Api, world: boto3.Session, settings: Settings, key: str | None
) -> None:
    response = api.post_event(GOOD, key=key)
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert nothing_was_accepted(world, settings)


def test_reading_needs_a_key_too(api: Api) -> None:
    assert api.get("/v1/events/evt_01M84STVCFS7F5J06PS8A3D6CA", key="nope").status_code == 401


def test_unknown_ids_are_not_found(api: Api) -> None:
    assert api.get("/v1/events/evt_01M84STVCFS7F5J06PS8A3D6CA").status_code == 404
    assert api.get("/v1/events/not-an-id").status_code == 404
    assert api.get("/v1/incidents/inc_01M84STVCFS7F5J06PS8A3D6CA").status_code == 404
