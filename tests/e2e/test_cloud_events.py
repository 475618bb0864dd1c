"""EventBridge and SNS deliveries, through the handlers Lambda runs."""

from __future__ import annotations

import boto3
from chalice.test import Client

from chalicelib.settings import Settings
from local.runner import QueueRunner
from tests.conftest import load_event
from tests.e2e.conftest import Api
from tests.e2e.test_bad_input import nothing_was_accepted


def events_of(world: boto3.Session, settings: Settings) -> list[dict[str, str]]:
    items = world.client("dynamodb").scan(
        TableName=settings.incidents_table,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "EVENT#"}},
    )["Items"]
    return [{"event_id": i["event_id"]["S"], "format": i["format"]["S"]} for i in items]


def test_an_alarm_opens_an_incident_and_its_ok_resolves_it(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    client.lambda_.invoke("receive_aws_events", load_event("eventbridge-alarm.json"))
    runner.drain()
    [opened] = events_of(world, settings)
    decision = api.get(f"/v1/events/{opened['event_id']}").json_body
    assert (decision["status"], decision["reason"]) == ("activated", "matched rule aws-alarms")

    client.lambda_.invoke("receive_aws_events", load_event("eventbridge-alarm-ok.json"))
    runner.drain()
    incident = api.get(f"/v1/incidents/{decision['incident_id']}").json_body
    assert incident["status"] == "resolved"
    assert incident["timeline"][0]["data"]["format"] == "eventbridge"


def test_the_same_alarm_through_sns_joins_the_incident(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    client.lambda_.invoke("receive_aws_events", load_event("eventbridge-alarm.json"))
    runner.drain()
    message = load_event("sns-alarm.json")["Message"]
    sns_event = client.events.generate_sns_event(message=message, subject="ALARM")
    client.lambda_.invoke("receive_alarm_messages", sns_event)
    runner.drain()
    statuses = sorted(
        api.get(f"/v1/events/{e['event_id']}").json_body["status"]
        for e in events_of(world, settings)
    )
    assert statuses == ["activated", "updated"]


def test_findings_and_health_events_are_decided(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    for name in (
        "eventbridge-guardduty.json",
        "eventbridge-securityhub.json",
        "eventbridge-health.json",
    ):
        client.lambda_.invoke("receive_aws_events", load_event(name))
    runner.drain()
    reasons = sorted(
        api.get(f"/v1/events/{e['event_id']}").json_body["reason"]
        for e in events_of(world, settings)
    )
    assert reasons == [
        "matched rule aws-alarms",
        "matched rule aws-security-findings",
        "matched rule aws-security-findings",
    ]


def test_unreadable_and_uneventful_deliveries_queue_nothing(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    client.lambda_.invoke(
        "receive_alarm_messages", client.events.generate_sns_event(message="not an alarm")
    )
    insufficient = load_event("eventbridge-alarm.json")
    insufficient["detail"]["state"]["value"] = "INSUFFICIENT_DATA"
    client.lambda_.invoke("receive_aws_events", insufficient)
    assert nothing_was_accepted(world, settings)
