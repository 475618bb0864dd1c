"""Who touched personal data: reads, saves and erasures of a contact, through the API (the key's
name), the command and the CSV import (the AWS principal), with when, never with the data."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from chalice.test import Client

from chalicelib.settings import Settings
from chalicelib.wiring import Container
from fakes import FixedClock
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY
from tests.e2e.conftest import use_container
from tocsin_cli.main import main

AUTH = {"Authorization": f"Bearer {LOCAL_KEY}"}
MOTO_PRINCIPAL = "arn:aws:sts::123456789012:user/moto"  # what moto's STS says we are
GIL = {"name": "Gil Example", "roles": ["hr"], "phone": "+12025550107", "email": "gil@example.com"}
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def cli(world: boto3.Session, settings: Settings, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, services=Container(settings, world), err=io.StringIO())
    return code, out.getvalue()


def put(client: Client, contact_id: str, body: dict[str, Any]) -> Any:
    return client.http.put(
        f"/v1/contacts/{contact_id}",
        headers={**AUTH, "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )


def audit_items(world: boto3.Session, settings: Settings) -> list[dict[str, Any]]:
    dynamodb = world.client("dynamodb")
    return [
        item
        for item in dynamodb.scan(TableName=settings.contacts_table)["Items"]
        if item["pk"]["S"].startswith("AUDIT#")
    ]


def test_every_read_save_and_erasure_through_the_api_is_on_record_with_the_keys_name(
    client: Client, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    clock = FixedClock(NOW)
    use_container(clock=clock)
    calls = [
        lambda: put(client, "c-gil", GIL).status_code == 201,
        lambda: put(client, "c-gil", GIL).status_code == 200,  # unchanged: still on record
        lambda: put(client, "c-gil", {**GIL, "roles": ["legal"]}).status_code == 200,
        lambda: client.http.get("/v1/contacts/c-gil", headers=AUTH).status_code == 200,
        lambda: client.http.get("/v1/contacts/c-nobody", headers=AUTH).status_code == 404,
        lambda: client.http.delete("/v1/contacts/c-gil", headers=AUTH).status_code == 202,
        lambda: runner.drain() > 0,
    ]
    for second, call in enumerate(calls):
        clock.current = NOW + timedelta(seconds=second)
        assert call()

    code, out = cli(world, settings, "contacts", "audit", "c-gil")
    assert code == 0
    at = [(NOW + timedelta(seconds=s)).isoformat() for s in (0, 1, 2, 3, 5, 6)]
    actions = ("created", "unchanged", "updated", "read", "erasure_requested", "erased")
    assert [line.split() for line in out.splitlines()] == [
        [when, action, "key", "local-development", "(api)"]
        for when, action in zip(at, actions, strict=True)
    ]
    # The records say who, how and when: never the number, the address or the name.
    stored = json.dumps(audit_items(world, settings))
    assert "5550107" not in stored and "gil@example.com" not in stored and "Gil" not in stored
    assert "c-nobody" not in stored  # a read that found nobody read nothing


def test_the_command_and_the_csv_import_record_the_aws_principal(
    api: Any, runner: QueueRunner, world: boto3.Session, settings: Settings, tmp_path: Path
) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(
        "contact_id,name,roles,language,phone,email\n"
        "c-hal,Hal Example,hr,en,+12025550107,hal@example.com\n"
    )
    assert cli(world, settings, "contacts", "import", str(rows))[0] == 0
    assert cli(world, settings, "contacts", "import", str(rows))[0] == 0
    assert cli(world, settings, "contacts", "erase", "c-hal", "--here")[0] == 0
    code, out = cli(world, settings, "contacts", "audit", "c-hal")
    assert code == 0
    assert [line.split()[1:] for line in out.splitlines()] == [
        ["created", MOTO_PRINCIPAL, "(import)"],
        ["unchanged", MOTO_PRINCIPAL, "(import)"],
        ["erasure_requested", MOTO_PRINCIPAL, "(cli)"],
        ["erased", MOTO_PRINCIPAL, "(cli)"],
    ]
    # The import refuses a person whose erasure is running, and says so.
    assert cli(world, settings, "contacts", "erase", "c-ada", "--no-wait")[0] == 0
    rows.write_text(
        "contact_id,name,roles,language,phone,email\n"
        "c-ada,Ada Again,executive,en,+12025550101,ada@example.com\n"
    )
    code, out = cli(world, settings, "contacts", "import", str(rows))
    assert code == 1
    assert "rejected 1" in out and "c-ada: being erased" in out
    assert api.get("/v1/contacts/c-ada").status_code == 404


def test_access_records_have_their_own_retention(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    clock = FixedClock(NOW)
    use_container(clock=clock)
    assert client.http.get("/v1/contacts/c-ada", headers=AUTH).status_code == 200
    [item] = audit_items(world, settings)
    assert int(item["expires_at"]["N"]) == int((NOW + timedelta(days=731)).timestamp())
    services = Container(settings, world, clock=clock)
    assert len(services.contact_access.history("c-ada")) == 1
    clock.current = NOW + timedelta(days=731)  # the day it expires, whether or not TTL ran
    assert services.contact_access.history("c-ada") == []
    code, out = cli(world, settings, "contacts", "audit", "c-nobody")
    assert (code, out.strip()) == (0, "no access to c-nobody on record (records are kept 731 days)")
