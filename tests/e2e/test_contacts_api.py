"""The contacts API: validated like the CSV import, personal data never in the logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.conftest import LOCAL_KEY

GIL = {
    "name": "Gil Example",
    "roles": ["it-security"],
    "teams": ["site-oslo"],
    "language": "nb",
    "timezone": "Europe/Oslo",
    "phone": "+1 202 555 0107",
    "email": "Gil@Example.com",
    "consent": ["sms", "email"],
    "opted_out": [],
    "labels": ["building-a", "first-aider"],
}


def put(client: Client, contact_id: str, body: Any, key: str = LOCAL_KEY) -> Any:
    return client.http.put(
        f"/v1/contacts/{contact_id}",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )


def get(client: Client, contact_id: str) -> Any:
    return client.http.get(
        f"/v1/contacts/{contact_id}", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
    )


def test_create_read_update_and_erase(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    created = put(client, "c-gil", GIL)
    assert (created.status_code, created.json_body["outcome"]) == (201, "created")
    stored = get(client, "c-gil").json_body
    assert stored["phone"] == "+12025550107"
    assert stored["email"] == "Gil@example.com"
    assert stored["consent"] == ["email", "sms"]
    assert stored["labels"] == ["building-a", "first-aider"]
    assert put(client, "c-gil", GIL).json_body["outcome"] == "unchanged"
    updated = put(client, "c-gil", {**GIL, "opted_out": ["sms"]})
    assert updated.json_body["outcome"] == "updated"
    assert get(client, "c-gil").json_body["opted_out"] == ["sms"]
    erased = client.http.delete(
        "/v1/contacts/c-gil", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
    )
    assert erased.json_body["erased"] is True
    assert get(client, "c-gil").status_code == 404
    logs = capsys.readouterr().out
    assert "5550107" not in logs and "Gil" not in logs


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GIL, "phone": "12345"}, "phone"),
        ({**GIL, "email": "not-an-address"}, "email"),
        ({**GIL, "roles": ["astronaut"]}, "roles"),
        ({**GIL, "timezone": "Mars/Olympus"}, "timezone"),
        ({**GIL, "consent": ["pigeon"]}, "consent"),
        ({**GIL, "labels": ["Building A"]}, "labels"),
        ({**GIL, "labels": [f"floor-{n}" for n in range(21)]}, "labels"),
        ({**GIL, "colour": "blue"}, "colour"),
        ({**GIL, "contact_id": "c-other"}, "contact_id"),
        ([], "$"),
    ],
)
def test_bad_contacts_are_refused_and_nothing_is_stored(
    client: Client, body: Any, field: str
) -> None:
    answer = put(client, "c-gil", body)
    assert answer.status_code == 400
    assert answer.json_body["error"]["code"] == "invalid_request"
    assert answer.json_body["error"]["field"] == field
    assert get(client, "c-gil").status_code == 404


def test_every_invalid_field_of_a_contact_is_named_in_one_answer(client: Client) -> None:
    bad = {**GIL, "phone": "12345", "email": "nope", "timezone": "Mars/Olympus", "name": ""}
    answer = put(client, "c-gil", bad)
    assert answer.status_code == 400
    fields = [problem["field"] for problem in answer.json_body["errors"]]
    assert fields == ["name", "timezone", "phone", "email"]
    assert "12345" not in answer.body.decode() and "nope" not in answer.body.decode()
    assert get(client, "c-gil").status_code == 404


def test_the_contacts_scope_is_required(client: Client, world: Any, settings: Any) -> None:
    from datetime import UTC, datetime

    from chalicelib.core.access import ApiKey, Scope
    from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key

    key = generate_api_key()
    DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).add(
        key, ApiKey(name="reader", scopes=frozenset({Scope.READ})), datetime.now(UTC)
    )
    assert put(client, "c-gil", GIL, key=key).status_code == 403
