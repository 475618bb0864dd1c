"""A canary round through the whole loop on the in-process runner: the dispatcher sends through
moto, the stand-in carrier publishes AWS-shaped delivery events to the delivery-events topic,
the runner routes them to ``track_deliveries``, and the ``run_canaries`` tick (invoked as
EventBridge would) judges the round.

The clock: ``Container`` takes no clock yet, so nothing here replaces the container's. The
round is begun by the use case built with an injected clock (twenty minutes ago, past its
fifteen-minute receipt window); the tick that judges it runs on the system clock, as deployed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.channels.operations import SnsOperationsTopic
from chalicelib.core.watch.canaries import Canaries
from chalicelib.handlers.watch import CANARY_CHECKED
from chalicelib.observability import logger
from chalicelib.settings import Settings
from chalicelib.storage.canaries import DynamoCanaryRounds
from local.receipts import DeliveryReceipts, MotoCarrier, moto_topic
from local.runner import QueueRunner, ScheduleBinding, schedule_bindings, scheduled_event
from tests.conftest import LOCAL_KEY
from tests.fakes import FixedClock

CANARY = "hourly-canary"  # every 1h, c-canary, receipts within 15m (policies/watching.yaml)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the functions log: the lines the deployment's metric filters read."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def operations(world: boto3.Session, settings: Settings) -> Any:
    """An operator's subscription to the operations topic: a queue to read it from."""
    sqs, sns = world.client("sqs"), world.client("sns")
    url = sqs.create_queue(QueueName="operator-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=settings.operations_topic_arn, Protocol="sqs", Endpoint=arn)

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def begun_earlier(settings: Settings, minutes: int) -> Canaries:
    """The canary use case with the clock ``minutes`` ago and the app's own adapters."""
    services = wiring.container()
    return Canaries(
        services.playbooks,
        DynamoCanaryRounds(services.dynamodb, settings.incidents_table),
        services.incidents,
        services.directory,
        services.dispatch_queue,
        services.ingest,
        SnsOperationsTopic(services.client("sns"), str(settings.operations_topic_arn)),
        frozenset(services.senders),
        FixedClock(datetime.now(UTC) - timedelta(minutes=minutes)),
    )


def tick(client: Client) -> None:
    client.lambda_.invoke("run_canaries", scheduled_event("run_canaries", "us-east-1"))


def incident(client: Client, incident_id: str) -> Any:
    answer = client.http.get(
        f"/v1/incidents/{incident_id}", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
    )
    return answer.json_body


def test_the_runner_fires_the_canary_tick_every_minute() -> None:
    assert ScheduleBinding("run_canaries", 60) in schedule_bindings(app)


def test_a_channel_that_fails_silently_raises_the_canary_alarm(
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    operations: Any,
    log_lines: io.StringIO,
) -> None:
    runner.subscribe_topics()  # delivery events reach track_deliveries, as SNS delivers them
    receipts = DeliveryReceipts(moto_topic())
    carrier = MotoCarrier(receipts)
    receipts.silence(["email"])  # SES takes the email and never reports it delivered

    [round_id] = begun_earlier(settings, minutes=20).tick().begun
    runner.drain()  # the dispatcher hands the test messages to SNS and SES
    assert sorted(carrier.deliver()) == ["published", "withheld"]  # the SMS's, and the email's
    runner.drain()  # the SMS receipt reaches the round's timeline
    sent = incident(client, round_id)
    kinds = [entry["kind"] for entry in sent["timeline"]]
    assert kinds.count("notification_sent") == 2 and "delivery_delivered" in kinds
    assert (sent["status"], sent["exercise"], sent["type"]) == ("open", True, "tocsin.canary")

    tick(client)  # fifteen minutes are over: the round is judged
    runner.drain()

    # The alarm: the metric filter counts each channel's missing receipts.
    checked = [
        json.loads(line)
        for line in log_lines.getvalue().splitlines()
        if f'"message":"{CANARY_CHECKED}"' in line
    ]
    assert {(c["channel"], c["missing"]) for c in checked} == {("sms", 0), ("email", 1)}
    assert {c["stage"] for c in checked} == {"local"}  # the metric's other dimension
    [email] = [c for c in checked if c["channel"] == "email"]
    assert email["detail"] == "to c-canary: no delivery receipt within 15m"

    # The operations topic is told which channel failed.
    [told] = operations()
    assert told["Subject"] == f"Tocsin canary {CANARY}: email FAILED"
    assert "email to c-canary: no delivery receipt within 15m" in told["Message"]
    assert "sms to c-canary: delivered" in told["Message"]

    # The round is on record, and an incident is open for the failing channel.
    judged = incident(client, round_id)
    assert judged["status"] == "resolved"
    assert judged["timeline"][-1]["kind"] == "canary_failed"
    failed = failed_channel_incidents(world, settings)
    assert [(i["status"], i["dedup_key"]) for i in failed] == [("open", f"canary:{CANARY}:email")]

    tick(client)  # judged once: nobody is told twice
    runner.drain()
    assert operations() == []
    assert len(failed_channel_incidents(world, settings)) == 1


def failed_channel_incidents(world: boto3.Session, settings: Settings) -> list[dict[str, str]]:
    pages = (
        world.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=settings.incidents_table,
            FilterExpression="sk = :sk AND #type = :type",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={":sk": {"S": "INCIDENT"}, ":type": {"S": "canary.failed"}},
        )
    )
    return [
        {"status": item["status"]["S"], "dedup_key": item["dedup_key"]["S"]}
        for page in pages
        for item in page["Items"]
    ]
