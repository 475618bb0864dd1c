"""Erasing a person leaves no trace of them in any incident record, and incidents still read."""

from __future__ import annotations

import io
import json

import boto3

from chalicelib.settings import Settings
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.wiring import Container
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api
from tocsin_cli.main import main

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
ADA = ("c-ada", "+12025550101", "ada@example.com")


def test_erase_removes_the_contact_and_pseudonymises_every_mention(
    api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    # A payload that itself names Ada, as an Opsgenie responder list might.
    event_id = api.post_event({**DEMO, "details": {"reported_by": "ada@example.com"}}).json_body[
        "event_id"
    ]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    dynamodb = world.client("dynamodb")

    def mentions() -> int:
        text = json.dumps(dynamodb.scan(TableName=settings.incidents_table)["Items"])
        return sum(text.count(value) for value in ADA)

    assert mentions() > 0
    out = io.StringIO()
    services = Container(settings, world)
    assert main(["contacts", "erase", "c-ada"], out=out, services=services) == 0
    assert "erased" in out.getvalue()

    assert mentions() == 0
    directory = DynamoContactDirectory(dynamodb, settings.contacts_table)
    assert directory.get_contacts(["c-ada"]) == {}
    assert "c-ada" not in {c.contact_id for c in directory.members(["executive"])}
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    sent = [e["data"]["contact_id"] for e in timeline if e["kind"] == "notification_sent"]
    assert any(contact.startswith("erased-") for contact in sent)
    assert main(["contacts", "erase", "c-ada"], out=io.StringIO(), services=services) == 2
