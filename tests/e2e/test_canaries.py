"""A canary round through the whole loop on the in-process runner, on a clock the test sets
(``use_container(clock=...)``): the ``run_canaries`` tick (invoked as EventBridge would) begins
the round, the dispatcher sends through moto, the stand-in carrier publishes AWS-shaped
delivery events to the delivery-events topic, the runner routes them to ``track_deliveries``,
and the tick judges the round.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.core.watch.metric_lines import CANARY_CHECKED
from chalicelib.observability import logger
from chalicelib.settings import Settings
from chalicelib.storage.canaries import DynamoCanaryRounds
from fakes import FixedClock
from local.receipts import DeliveryReceipts, MotoCarrier, moto_topic
from local.runner import QueueRunner, ScheduleBinding, schedule_bindings, scheduled_event
from tests.conftest import LOCAL_KEY
from tests.e2e.conftest import use_container

CANARY = "hourly-canary"  # every 1h, c-canary, receipts within 15m (policies/watching.yaml)
ROUND_ONE = datetime(2026, 12, 2, 3, 0, 30, tzinfo=UTC)


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(ROUND_ONE)
    use_container(clock=fixed)
    return fixed


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
        found = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            found += [json.loads(message["Body"]) for message in messages]
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    return read


def tick(client: Client) -> None:
    client.lambda_.invoke("run_canaries", scheduled_event("run_canaries", "us-east-1"))


def incident(client: Client, incident_id: str) -> Any:
    answer = client.http.get(
        f"/v1/incidents/{incident_id}", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
    )
    return answer.json_body


def checked(log_lines: io.StringIO) -> list[dict[str, Any]]:
    """The metric's data points so far: one per channel of each judged round."""
    return [
        json.loads(line)
        for line in log_lines.getvalue().splitlines()
        if f'"message":"{CANARY_CHECKED}"' in line
    ]


def test_the_runner_fires_the_canary_tick_every_minute() -> None:
    assert ScheduleBinding("run_canaries", 60) in schedule_bindings(app)


def test_a_channel_that_fails_silently_raises_the_canary_alarm_until_it_delivers_again(
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    clock: FixedClock,
    operations: Any,
    log_lines: io.StringIO,
) -> None:
    runner.subscribe_topics()  # delivery events reach track_deliveries, as SNS delivers them
    receipts = DeliveryReceipts(moto_topic())
    carrier = MotoCarrier(receipts)
    receipts.silence(["email"])  # SES takes the email and never reports it delivered
    rounds = DynamoCanaryRounds(world.client("dynamodb"), settings.incidents_table)

    tick(client)  # 03:00:30: this hour's round begins
    [first] = rounds.recent_rounds(CANARY)
    runner.drain()  # the dispatcher hands the test messages to SNS and SES
    assert sorted(carrier.deliver()) == ["published", "withheld"]  # the SMS's, the email's
    runner.drain()  # the SMS's receipt reaches the round's timeline
    sent = incident(client, first.incident_id)
    kinds = [entry["kind"] for entry in sent["timeline"]]
    assert kinds.count("notification_sent") == 2 and kinds.count("delivery_delivered") == 1
    assert (sent["status"], sent["exercise"], sent["type"]) == ("open", True, "tocsin.canary")
    clock.advance(minutes=14)
    tick(client)
    assert checked(log_lines) == []  # the email may still come back

    clock.advance(minutes=1)  # 03:15:30: fifteen minutes are over
    tick(client)
    runner.drain()
    # The alarm: the metric filter counts each channel's missing receipts, per stage.
    points = checked(log_lines)
    assert {(p["channel"], p["missing"], p["stage"]) for p in points} == {
        ("sms", 0, "local"),
        ("email", 1, "local"),
    }
    [email] = [p for p in points if p["channel"] == "email"]
    assert email["detail"] == "to c-canary: no delivery receipt within 15m"
    # The operations topic is told which channel failed.
    [told] = operations()
    assert told["Subject"] == f"Tocsin canary {CANARY}: email FAILED"
    assert "email to c-canary: no delivery receipt within 15m" in told["Message"]
    assert "sms to c-canary: delivered (0 s after AWS took it)" in told["Message"]
    # The round is on record, and an incident is open for the failing channel.
    judged = incident(client, first.incident_id)
    assert (judged["status"], judged["timeline"][-1]["kind"]) == ("resolved", "canary_failed")
    assert failed_channel_incidents(world, settings) == [
        {"status": "open", "dedup_key": f"canary:{CANARY}:email"}
    ]
    tick(client)  # judged once: nobody is told twice
    runner.drain()
    assert operations() == []

    receipts.silence([])  # SES reports deliveries again
    clock.advance(minutes=45)  # 04:00:30: the next round
    tick(client)
    runner.drain()
    assert set(carrier.deliver()) == {"published"}  # the round's, and the duty officer's page
    runner.drain()
    clock.advance(minutes=1)
    tick(client)  # every receipt is in: judged at once
    runner.drain()
    assert {(p["channel"], p["missing"]) for p in checked(log_lines)[2:]} == {
        ("sms", 0),
        ("email", 0),
    }
    [again] = operations()
    assert again["Subject"] == f"Tocsin canary {CANARY}: email delivers again"
    assert failed_channel_incidents(world, settings) == [
        {"status": "resolved", "dedup_key": f"canary:{CANARY}:email"}
    ]


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
