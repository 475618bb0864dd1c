"""Through the handlers and SQS: a job another invocation holds goes back on the dispatch queue,
delayed until that claim is stale, and is then taken over, sent, and said on the timeline."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.test import Client

from app import app
from chalicelib.core.ids import incident_id_for_event
from chalicelib.core.messaging.uncertain import OUTCOME_UNKNOWN
from chalicelib.core.model import Channel, NotificationJob
from chalicelib.settings import Settings
from chalicelib.storage.ledger import DynamoSendLedger
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container
from tests.e2e.test_partial_batches import queue_url

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
ADA_PHONE = "+12025550101"
CLAIM_TIMEOUT = 2  # seconds: the test waits it out on the wall clock, as SQS delays do


def delayed(world: boto3.Session, queue: str) -> int:
    attributes = world.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(world, queue), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def test_a_job_held_by_another_invocation_waits_on_the_queue_then_is_taken_over(
    api: Api, client: Client, world: boto3.Session, settings: Settings
) -> None:
    use_container(send_claim_timeout_seconds=CLAIM_TIMEOUT)
    ledger = DynamoSendLedger(world.client("dynamodb"), settings.incidents_table)
    incident_id = ""

    def another_invocation_holds_adas_text(name: str, event: dict[str, Any]) -> Any:
        nonlocal incident_id
        if name == "evaluate_events" and not incident_id:  # it sends the first batch itself
            event_id = json.loads(event["Records"][0]["body"])["event_id"]
            incident_id = incident_id_for_event(event_id)
            now = datetime.now(UTC)
            held = NotificationJob(incident_id, "c-ada", Channel.SMS)
            assert ledger.claim(held, now, now).granted
        return client.lambda_.invoke(name, event)

    runner = QueueRunner(app, another_invocation_holds_adas_text, session=world, retry_delay=0)
    api.post_event(DEMO)
    runner.drain()
    assert ADA_PHONE not in dict(sent_sms(world))  # she is the other invocation's, for now
    assert delayed(world, settings.dispatch_queue) == 1  # her job: back, not deleted

    time.sleep(CLAIM_TIMEOUT + 1.5)  # the other invocation never finished: it died
    runner.drain()
    assert Counter(phone for phone, _ in sent_sms(world))[ADA_PHONE] == 1
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    [unknown] = [entry for entry in timeline if entry["kind"] == OUTCOME_UNKNOWN]
    assert unknown["data"]["contact_id"] == "c-ada"
    assert unknown["data"]["reason"] == "claim_taken_over"
    assert "may arrive twice" in unknown["summary"]
