"""Activating a plan by hand, and the two-person rule, through the API and the queues."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import ApiKey, Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY
from tests.e2e.conftest import Api, sent_email, sent_sms

SUMMARY = {"summary": "Ransom note on the file servers", "severity": "critical"}


@pytest.fixture
def keys(world: boto3.Session, settings: Settings) -> dict[str, str]:
    """Personal keys: Ada (executive), Bo (communications), Dina (legal), Emil (hr), Fay
    (facilities, it-security);
    and a machine key with the activate scope but no person."""
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)
    made = {}
    people = {"ada": "c-ada", "bo": "c-bo", "dina": "c-dina", "emil": "c-emil", "fay": "c-fay"}
    for name, contact in [*people.items(), ("machine", None)]:
        made[name] = generate_api_key()
        store.add(
            made[name],
            ApiKey(name=name, scopes=frozenset({Scope.ACTIVATE}), contact_id=contact),
            datetime.now(UTC),
        )
    return made


def call(client: Client, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode() if body is not None else b""
    return client.http.post(path, headers=headers, body=payload)


def test_the_two_person_rule_pages_only_the_approvers_until_a_second_person_approves(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], world: boto3.Session
) -> None:
    requested = call(client, "/v1/plans/crisis-cell/activate", keys["bo"], SUMMARY)
    assert requested.status_code == 201
    incident_id = requested.json_body["incident_id"]
    assert requested.json_body["status"] == "awaiting_approval"
    runner.drain()
    # Only the approvers (executive, legal; never the requester) are asked, nobody else.
    assert {phone for phone, _ in sent_sms(world)} == {"+12025550101", "+12025550104"}
    assert all("TOCSIN VERIFY" in text or "BEKREFT" in text for _, text in sent_sms(world))
    asked = len(sent_sms(world))

    own = call(client, f"/v1/incidents/{incident_id}/approve", keys["bo"])
    assert own.status_code == 403
    assert "two-person rule" in own.json_body["error"]["message"]
    no_role = call(client, f"/v1/incidents/{incident_id}/approve", keys["fay"])
    assert no_role.status_code == 403
    assert "executive, legal" in no_role.json_body["error"]["message"]

    approved = call(client, f"/v1/incidents/{incident_id}/approve", keys["dina"])
    assert approved.status_code == 200
    assert approved.json_body["notifications"] > 0
    runner.drain()
    assert len(sent_sms(world)) > asked and len(sent_email(world)) > 0
    again = call(client, f"/v1/incidents/{incident_id}/approve", keys["ada"])
    assert again.status_code == 409

    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "open"
    steps = [
        (entry["kind"], entry["data"].get("contact_id"))
        for entry in incident["timeline"]
        if entry["kind"] in ("activation_requested", "approval_requested", "approved")
    ]
    assert steps == [
        ("activation_requested", "c-bo"),
        ("approval_requested", None),
        ("approved", "c-dina"),
    ]


def test_a_rejected_activation_notifies_nobody(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], world: boto3.Session
) -> None:
    incident_id = call(client, "/v1/plans/crisis-cell/activate", keys["ada"], SUMMARY).json_body[
        "incident_id"
    ]
    rejected = call(
        client, f"/v1/incidents/{incident_id}/reject", keys["dina"], {"reason": "false alarm"}
    )
    assert rejected.status_code == 200
    runner.drain()
    assert sent_sms(world) == [] and sent_email(world) == []  # the approvers' asks dropped too
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "cancelled"
    assert incident["timeline"][-1]["summary"].startswith("rejected by c-dina: false alarm")
    assert call(client, f"/v1/incidents/{incident_id}/approve", keys["ada"]).status_code == 409


def test_a_plan_without_approval_goes_out_at_once(
    client: Client, runner: QueueRunner, keys: dict[str, str], world: boto3.Session
) -> None:
    body = {"summary": "Gas leak, building B", "status": "exercise"}
    activated = call(client, "/v1/plans/site-emergency/activate", keys["fay"], body)
    assert (activated.status_code, activated.json_body["status"]) == (201, "open")
    runner.drain()
    assert all(text.startswith("[EXERCISE]") for _, text in sent_sms(world))
    assert sent_sms(world)


def test_an_incident_activated_by_hand_can_be_resolved_by_hand(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str]
) -> None:
    body = {"summary": "Gas leak, building B", "status": "exercise"}
    incident_id = call(client, "/v1/plans/site-emergency/activate", keys["fay"], body).json_body[
        "incident_id"
    ]
    runner.drain()
    resolved = call(client, f"/v1/incidents/{incident_id}/resolve", LOCAL_KEY)
    assert resolved.status_code == 200, resolved.json_body
    runner.drain()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "resolved"
    assert {"resolved", "resolution_notices"} <= {entry["kind"] for entry in incident["timeline"]}
    assert call(client, f"/v1/incidents/{incident_id}/resolve", LOCAL_KEY).status_code == 409


@pytest.mark.parametrize(
    ("path", "key", "body", "status", "words"),
    [
        ("/v1/plans/crisis-cell/activate", "emil", SUMMARY, 403, "executive, it-security"),
        ("/v1/plans/it-major-incident/activate", "ada", SUMMARY, 403, "cannot be activated by"),
        ("/v1/plans/no-such-plan/activate", "ada", SUMMARY, 404, "no response plan"),
        ("/v1/plans/crisis-cell/activate", "machine", SUMMARY, 403, "not a personal key"),
        ("/v1/plans/crisis-cell/activate", "ada", {}, 400, "summary"),
        ("/v1/plans/crisis-cell/activate", "ada", {**SUMMARY, "severity": "x"}, 400, "severity"),
        ("/v1/plans/crisis-cell/activate", "ada", {**SUMMARY, "colour": 1}, 400, "unknown"),
        ("/v1/incidents/inc_nope/approve", "ada", None, 404, "no incident"),
    ],
)
def test_refusals_are_clear_and_activate_nothing(
    client: Client,
    runner: QueueRunner,
    keys: dict[str, str],
    world: boto3.Session,
    path: str,
    key: str,
    body: Any,
    status: int,
    words: str,
) -> None:
    answer = call(client, path, keys[key], body)
    assert answer.status_code == status
    assert words in answer.json_body["error"]["message"] + str(
        answer.json_body["error"].get("field")
    )
    runner.drain()
    assert sent_sms(world) == [] and sent_email(world) == []


def test_a_key_without_the_activate_scope_is_refused(client: Client) -> None:
    from tests.conftest import LOCAL_KEY

    # The local development key has every scope but acts for nobody.
    answer = call(client, "/v1/plans/crisis-cell/activate", LOCAL_KEY, SUMMARY)
    assert answer.status_code == 403
