"""A trigger over HTTP reaches the plan's people by SMS and email, exactly once."""

from __future__ import annotations

import json

import boto3

from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_email, sent_sms

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


def test_data_breach_reaches_the_crisis_cell_by_sms_and_email(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    accepted = api.post_event(DEMO)
    assert accepted.status_code == 202
    event_id = accepted.json_body["event_id"]
    assert api.get(f"/v1/events/{event_id}").json_body["status"] == "pending"

    runner.drain()

    decision = api.get(f"/v1/events/{event_id}").json_body
    assert decision["status"] == "activated"
    incident = api.get(f"/v1/incidents/{decision['incident_id']}").json_body
    assert incident["status"] == "open"
    assert incident["plan_id"] == "crisis-cell"
    phones = sorted(phone for phone, _ in sent_sms(world))
    emails = sorted(address for address, _ in sent_email(world))
    # executive (Ada, Dina), communications (Bo), it-security (Chen, Fay), legal (Dina), hr (Emil)
    assert phones == [
        "+12025550101",
        "+12025550102",
        "+12025550103",
        "+12025550104",
        "+12025550105",
    ]
    assert emails == [
        "ada@example.com",
        "bo@example.com",
        "chen@example.com",
        "dina@example.com",
        "emil@example.com",
        "fay@example.com",
    ]
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert kinds[:2] == ["event_received", "activated"]
    assert kinds.count("notification_sent") == 11  # to people; nothing to the stakeholders
    assert kinds.count("statement_drafted") == 5  # staff and public (en, da), customers: drafts
    assert "statement_sent" not in kinds
    assert all(
        entry["data"]["message_id"]
        for entry in incident["timeline"]
        if entry["kind"] == "notification_sent"
    )


def test_each_person_is_written_to_in_their_own_language(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    api.post_event(DEMO)
    runner.drain()
    bodies = {
        message.destinations["ToAddresses"][0]: message.body
        for message in ses_backends[DEFAULT_ACCOUNT_ID][world.region_name].sent_messages
    }
    # Bo reads Danish, Dina Norwegian (bokmål), Chen Traditional Chinese, Ada English.
    assert "Hvad:" in bodies["bo@example.com"]
    assert "Hva:" in bodies["dina@example.com"]
    assert "事件" in bodies["chen@example.com"]
    assert "What:" in bodies["ada@example.com"]
