"""The verification gate through the API, the queues, the escalation tick and moto: an
automatic activation pages only its approvers; an approval with a personal key pages the plan;
nobody deciding in time pages, cancels or escalates, as the plan says, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from chalicelib.settings import Settings
from chalicelib.storage.playbooks import DynamoPlaybookStore
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container
from tocsin_cli.policies import read_policy_dir

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
MEDIA = {
    "source": "social-listening",
    "type": "reputation.social_media",
    "severity": "high",
    "summary": "Viral post claims our app leaks passwords",
    "metrics": {"estimated_reach": 250000, "sentiment_score": -0.8},
    "dedup_key": "viral-leak-claim",
}
ADA, BO, DINA = "+12025550101", "+12025550102", "+12025550104"


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def gate_with(world: boto3.Session, settings: Settings, clock: FixedClock, **gate: Any) -> None:
    """The example playbook, with this gate on reputation-response."""
    documents = read_policy_dir(PROJECT / "policies").sections
    documents["plans"] = [
        {**plan, "approval": {"roles": ["communications"], **gate}}
        if plan["id"] == "reputation-response"
        else plan
        for plan in documents["plans"]
    ]
    DynamoPlaybookStore(world.client("dynamodb"), settings.config_table).apply(documents, NIGHT)
    use_container(clock=clock)  # a fresh container: nothing cached


def storm(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(MEDIA).json_body["event_id"]
    runner.drain()
    decision = api.get(f"/v1/events/{event_id}").json_body
    assert decision["status"] == "activated", decision
    return str(decision["incident_id"])


def approve(client: Client, incident_id: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.post(f"/v1/incidents/{incident_id}/approve", headers=headers, body=b"")


def test_an_automatic_activation_pages_only_its_approver_until_approved(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    incident_id = storm(api, runner)
    assert api.get(f"/v1/incidents/{incident_id}").json_body["status"] == "awaiting_approval"
    assert {phone for phone, _ in sent_sms(world)} == {BO}  # communications alone
    own = key_maker("bo-key", {Scope.ACTIVATE}, contact_id="c-bo")
    shared = key_maker("ops-bot", {Scope.ACTIVATE})
    refused = approve(client, incident_id, shared)
    assert refused.status_code == 403 and "not a personal key" in json.dumps(refused.json_body)
    approved = approve(client, incident_id, own)
    assert approved.status_code == 200, approved.json_body
    assert approved.json_body["status"] == "open"
    assert approved.json_body["approved_by"] == ["c-bo"]
    runner.drain()
    assert {ADA, DINA} <= {phone for phone, _ in sent_sms(world)}  # the plan, once approved
    assert approve(client, incident_id, own).status_code == 409
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    kinds = [entry["kind"] for entry in timeline]
    assert kinds.index("approval_requested") < kinds.index("approved")
    assert next(e for e in timeline if e["kind"] == "approved")["data"]["by"] == "bo-key"


@pytest.mark.parametrize(
    ("gate", "status", "paged"),
    [
        ({"timeout": "10m", "on_timeout": "page"}, "open", {ADA, BO, DINA}),
        ({"timeout": "10m", "on_timeout": "cancel"}, "cancelled", set()),
        (
            {"timeout": "10m", "on_timeout": "escalate", "escalate_to": ["executive"]},
            "awaiting_approval",
            {ADA, DINA},
        ),
    ],
)
def test_nobody_deciding_in_time_does_what_the_gate_says_once(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    clock: FixedClock,
    gate: dict[str, Any],
    status: str,
    paged: set[str],
) -> None:
    gate_with(world, settings, clock, **gate)
    incident_id = storm(api, runner)
    asked = len(sent_sms(world))
    clock.advance(minutes=9)
    tick(client)
    runner.drain()
    assert api.get(f"/v1/incidents/{incident_id}").json_body["status"] == "awaiting_approval"
    clock.advance(minutes=2)
    tick(client)
    tick(client)  # a second tick acts on nothing
    runner.drain()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == status
    assert {phone for phone, _ in sent_sms(world)[asked:]} == paged
    timed_out = [e["summary"] for e in incident["timeline"] if e["kind"] == "gate_timed_out"]
    assert len(timed_out) == 1 and timed_out[0].startswith("nobody approved within 10m")
    # The gate's deadline left the escalation index (the plan has no escalation of its own).
    assert wiring.container().incidents.due(clock.now() + timedelta(hours=1)) == []


def test_the_approver_approves_on_the_page_behind_their_link(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    import re

    incident_id = storm(api, runner)
    (text,) = [body for phone, body in sent_sms(world) if phone == BO]
    token = re.search(r"/a/([a-z0-9]{16})", text)
    assert token is not None
    page = client.http.get(f"/a/{token[1]}")
    assert page.status_code == 200 and "Godkend: kald holdet" in page.body.decode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answered = client.http.post(f"/a/{token[1]}", headers=form, body=b"answer=ack")
    assert answered.status_code == 200 and "Godkendt" in answered.body.decode()
    runner.drain()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "open"
    approved = next(e for e in incident["timeline"] if e["kind"] == "approved")
    assert (approved["data"]["contact_id"], approved["data"]["via"]) == ("c-bo", "link")
    assert ADA in {phone for phone, _ in sent_sms(world)}  # the plan paged
