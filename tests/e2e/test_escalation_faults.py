"""The escalation tick on DynamoDB, with one incident whose item cannot be read at the head of
the due list: the others are escalated, and the tick still fails for the errors alarm."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.errors import TransientError
from chalicelib.settings import Settings
from fakes import FixedClock
from local.runner import QueueRunner
from tests.e2e.conftest import Api
from tests.e2e.test_escalation import CHEN, NIGHT, OUTAGE, clock, open_outage, texts_to, tick

__all__ = ["clock"]  # the fixture, shared


def test_an_unreadable_incident_does_not_stop_the_others_escalating(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    clock: FixedClock,
) -> None:
    broken = open_outage(api, runner)
    clock.current = NIGHT + timedelta(seconds=30)
    second = {**OUTAGE, "dedup_key": "payments-down-again", "summary": "Payouts down"}
    event_id = api.post_event(second).json_body["event_id"]
    runner.drain()
    healthy = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    world.client("dynamodb").update_item(
        TableName=settings.incidents_table,
        Key={"pk": {"S": f"INCIDENT#{broken}"}, "sk": {"S": "INCIDENT"}},
        UpdateExpression="SET response_state = :bad",
        ExpressionAttributeValues={":bad": {"S": '{"step": '}},  # written by a bug, say
    )

    clock.current = NIGHT + timedelta(minutes=6)
    retry = rf"1 incident\(s\) or check-in\(s\) to retry: \['{broken}'\]"
    with pytest.raises(TransientError, match=retry):
        tick(client)
    runner.drain()
    assert len(texts_to(world, CHEN)) == 1  # level 2 of the healthy incident
    timeline = api.get(f"/v1/incidents/{healthy}").json_body["timeline"]
    assert [entry["kind"] for entry in timeline].count("escalated") == 1
