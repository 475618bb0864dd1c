"""Delivery events reach the ledger and the timeline; a hard bounce retires the address."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import boto3
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.model import Channel
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


def sent_ids(api: Api, incident_id: str) -> dict[tuple[str, str], str]:
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    return {
        (e["data"]["contact_id"], e["data"]["channel"]): e["data"]["message_id"]
        for e in timeline
        if e["kind"] == "notification_sent"
    }


def publish(client: Client, message: dict[str, Any]) -> None:
    event = client.events.generate_sns_event(message=json.dumps(message), subject="delivery")
    client.lambda_.invoke("track_deliveries", event)


def open_demo(api: Api, runner: QueueRunner, key: str) -> str:
    event_id = api.post_event({**DEMO, "dedup_key": key}).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def test_a_bounce_is_on_the_timeline_and_the_address_is_not_used_again(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    incident_id = open_demo(api, runner, "breach-1")
    ids = sent_ids(api, incident_id)
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General"},
        "mail": {"messageId": ids[("c-ada", "email")]},
    }
    publish(client, bounce)
    publish(client, bounce)  # SNS delivers at least once: recorded once
    publish(client, {"notification": {"messageId": ids[("c-bo", "sms")]}, "status": "SUCCESS"})
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    deliveries = [e["summary"] for e in timeline if e["kind"].startswith("delivery_")]
    assert sorted(deliveries) == [
        "email to c-ada bounced: permanent bounce (General); "
        "this email address will not be used again",
        "sms to c-bo delivered: delivered",
    ]
    ada = wiring.container().directory.get_contacts(["c-ada"])["c-ada"]
    assert ada.unreachable_on(Channel.EMAIL) == "email address unusable (bounced or refused)"

    second = open_demo(api, runner, "breach-2")
    assert ("c-ada", "email") not in sent_ids(api, second)
    assert ("c-ada", "sms") in sent_ids(api, second)


def test_unknown_and_unreadable_events_change_nothing(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    incident_id = open_demo(api, runner, "breach-3")
    before = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    publish(client, {"eventType": "Delivery", "mail": {"messageId": "not-ours"}})
    client.lambda_.invoke(
        "track_deliveries", client.events.generate_sns_event(message="not json", subject="x")
    )
    publish(client, {"something": "else"})
    assert api.get(f"/v1/incidents/{incident_id}").json_body["timeline"] == before


def sms_status_logs(message_id: str, status: str, response: str) -> dict[str, Any]:
    """What a CloudWatch Logs subscription on SNS's SMS log group hands the function."""
    record = {
        "notification": {"messageId": message_id, "timestamp": "2026-06-28 00:40:34.558"},
        "delivery": {"destination": "+12025550142", "providerResponse": response},
        "status": status,
    }
    payload = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "sns/us-east-1/123456789012/DirectPublishToPhoneNumber",
        "logEvents": [{"id": "1", "timestamp": 1, "message": json.dumps(record)}],
    }
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def test_sms_status_from_cloudwatch_logs_reaches_the_timeline(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    incident_id = open_demo(api, runner, "breach-4")
    sms_id = sent_ids(api, incident_id)[("c-bo", "sms")]
    event = sms_status_logs(sms_id, "SUCCESS", "Message has been accepted by phone carrier")
    client.lambda_.invoke("track_sms_status", event)
    client.lambda_.invoke("track_sms_status", event)  # a redelivered batch: recorded once
    client.lambda_.invoke("track_sms_status", {"awslogs": {"data": "not base64!"}})
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    deliveries = [e for e in timeline if e["kind"].startswith("delivery_")]
    assert [e["summary"] for e in deliveries] == ["sms to c-bo delivered: delivered"]
    assert deliveries[0]["data"]["source"] == "sns-sms"
