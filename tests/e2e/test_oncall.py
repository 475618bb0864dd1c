"""On-call coverage and overrides through the API and the CLI, and an override at work."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import ApiKey, Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from fakes import FixedClock
from tests.e2e.conftest import use_container
from tocsin_cli.main import main

MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 07:00 in Copenhagen


@pytest.fixture
def keys(client: Client, world: boto3.Session, settings: Settings) -> dict[str, str]:
    use_container(clock=FixedClock(MONDAY))
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)
    made = {}
    for name, scopes in (("reader", {Scope.READ}), ("rota", {Scope.ONCALL})):
        made[name] = generate_api_key()
        store.add(made[name], ApiKey(name, frozenset(scopes), contact_id="c-ada"), MONDAY)
    return made


def request(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode() if body is not None else b""
    return getattr(client.http, method)(path, headers=headers, body=payload)


def test_coverage_shows_the_layers_and_an_override_through_the_api(
    client: Client, keys: dict[str, str]
) -> None:
    week = "from=2026-11-30T00:00:00%2B01:00&to=2026-12-07T00:00:00%2B01:00"
    shown = client.http.get(
        f"/v1/oncall/it-duty?{week}", headers={"Authorization": f"Bearer {keys['reader']}"}
    )
    assert shown.status_code == 200, shown.body
    body = shown.json_body
    assert body["gaps"] == [] and body["unknown_members"] == []
    assert body["on_call_now"] == {"contact_id": "c-chen", "source": "layer round-the-clock"}
    sources = {shift["source"] for shift in body["shifts"]}
    assert sources == {"layer office-hours", "layer round-the-clock"}

    added = request(
        client,
        "post",
        "/v1/oncall/it-duty/overrides",
        keys["rota"],
        {"contact_id": "c-dina", "start": "2026-11-30T06:00:00Z", "end": "2026-11-30T12:00:00Z"},
    )
    assert added.status_code == 201, added.body
    override_id = added.json_body["override_id"]
    assert added.json_body["created_by"] == "c-ada"
    now = client.http.get(
        "/v1/oncall/it-duty", headers={"Authorization": f"Bearer {keys['reader']}"}
    ).json_body["on_call_now"]
    assert now == {"contact_id": "c-dina", "source": f"override {override_id}"}

    refused = request(client, "post", "/v1/oncall/it-duty/overrides", keys["reader"], {})
    assert refused.status_code == 403
    for document, field in (
        (
            {"contact_id": "c-nobody", "start": "2026-12-01T00:00Z", "end": "2026-12-02T00:00Z"},
            "contact_id",
        ),
        ({"contact_id": "c-dina", "start": "2026-12-02T00:00Z", "end": "2026-12-01T00:00Z"}, "end"),
        ({"contact_id": "c-dina", "start": "tomorrow", "end": "2026-12-01T00:00Z"}, "start"),
        (
            {"contact_id": "c-dina", "start": "2026-12-01T00:00", "end": "2026-12-02T00:00Z"},
            "start",
        ),
        ({"contact_id": "c-dina", "start": "2026-12-01T00:00Z", "end": "2027-02-01T00:00Z"}, "end"),
        (
            {
                "contact_id": "c-dina",
                "start": "2026-12-01T00:00Z",
                "end": "2026-12-02T00:00Z",
                "covers": "c-bo",
            },
            "covers",
        ),
        ({"contact_id": "c-dina", "extra": 1}, "extra"),
    ):
        bad = request(client, "post", "/v1/oncall/it-duty/overrides", keys["rota"], document)
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == field, document
    missing = request(client, "get", "/v1/oncall/no-such-rota", keys["reader"])
    assert missing.status_code == 404
    removed = request(client, "delete", f"/v1/oncall/it-duty/overrides/{override_id}", keys["rota"])
    assert removed.status_code == 200
    gone = request(client, "delete", f"/v1/oncall/it-duty/overrides/{override_id}", keys["rota"])
    assert gone.status_code == 404


def test_the_cli_prints_coverage_reports_gaps_and_acknowledges(
    client: Client, keys: dict[str, str]
) -> None:
    services = wiring.container()
    out = io.StringIO()
    week = ["--from", "2026-11-30T00:00:00+01:00", "--to", "2026-12-07T00:00:00+01:00"]
    assert main(["oncall", "show", "it-duty", *week], out, services=services) == 0
    assert "covered throughout" in out.getvalue() and "c-chen" in out.getvalue()

    # An override naming someone who is not a contact is refused.
    out = io.StringIO()
    assert (
        main(
            [
                "oncall",
                "override",
                "it-duty",
                "--contact",
                "c-nobody-yet",
                "--from",
                "2026-12-01T00:00:00Z",
                "--to",
                "2026-12-02T00:00:00Z",
            ],
            out,
            services=services,
        )
        == 2
    )
    out = io.StringIO()
    made = main(
        [
            "oncall",
            "override",
            "it-duty",
            "--contact",
            "c-chen",
            "--covers",
            "c-fay",
            "--from",
            "2026-12-01T00:00:00Z",
            "--to",
            "2026-12-02T00:00:00Z",
        ],
        out,
        services=services,
    )
    assert made == 0 and "c-chen on call" in out.getvalue()
    out = io.StringIO()
    main(["oncall", "show", "it-duty", *week], out, services=services)
    assert "override ovr_" in out.getvalue()
