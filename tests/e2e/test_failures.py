"""Failures are on the timeline with their reason; transient ones are retried, permanent not."""

from __future__ import annotations

import json
from collections import Counter

import boto3

from chalicelib.channels.sns_sms import SnsSmsChannel
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import Channel
from fakes import ScriptedChannel
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
ADA_PHONE = "+12025550101"


def script_sms(
    world: boto3.Session, failures: list[PermanentSendError | TransientSendError]
) -> ScriptedChannel:
    """SNS SMS that fails for Ada as scripted, in the container the handlers will use."""
    scripted = ScriptedChannel(SnsSmsChannel(world.client("sns")), {ADA_PHONE: failures})
    use_container(channels={Channel.SMS: scripted})
    return scripted


def timeline_of(api: Api, event_id: str) -> list[dict[str, object]]:
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    return list(api.get(f"/v1/incidents/{incident_id}").json_body["timeline"])


def test_a_permanent_failure_is_recorded_with_its_reason_and_not_retried(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    scripted = script_sms(
        world, [PermanentSendError("InvalidParameter", "SNS Publish: invalid number")]
    )
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()

    assert scripted.attempts.count(ADA_PHONE) == 1
    assert ADA_PHONE not in [phone for phone, _ in sent_sms(world)]
    failed = [e for e in timeline_of(api, event_id) if e["kind"] == "notification_failed"]
    assert len(failed) == 1
    assert failed[0]["summary"] == "sms to c-ada failed: InvalidParameter"
    assert failed[0]["data"] == {
        "contact_id": "c-ada",
        "channel": "sms",
        "step": 0,
        "error": "InvalidParameter",
        "detail": "SNS Publish: invalid number",
        "retryable": False,
        "notice": "alert",  # what was being sent: reports count alerts apart from notices
    }
    assert len(sent_sms(world)) == 4  # everyone else still reached


def test_a_throttled_send_is_retried_at_the_quota_and_sent_exactly_once(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    """The channel's pacer retries a transient error within its budget, so the person gets one
    text and the timeline one sent entry. (Past the budget the job goes back to the queue and
    the failure is on the timeline: tests/unit/test_dispatcher.py, on the fakes.)"""
    scripted = script_sms(world, [TransientSendError("Throttling", "SNS Publish: rate exceeded")])
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()

    assert scripted.attempts.count(ADA_PHONE) == 2
    assert Counter(phone for phone, _ in sent_sms(world))[ADA_PHONE] == 1
    kinds = [
        (e["kind"], e["data"].get("contact_id"), e["data"].get("channel"))  # type: ignore[union-attr]
        for e in timeline_of(api, event_id)
    ]
    ada_sms = [kind for kind, contact, channel in kinds if (contact, channel) == ("c-ada", "sms")]
    assert ada_sms == ["notification_sent"]


def test_when_the_queue_refuses_the_event_the_caller_is_told_and_nothing_is_kept(
    api: Api, world: boto3.Session
) -> None:
    sqs = world.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="tocsin-ingest")["QueueUrl"])
    response = api.post_event(DEMO)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    events = world.client("dynamodb").scan(
        TableName="tocsin-incidents",
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "EVENT#"}},
    )
    assert events["Count"] == 0
