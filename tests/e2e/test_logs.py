"""No phone number (in any written form), email address or key appears in any log line of a
full run, even when hostile input puts them where Tocsin logs what it refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.redaction import redact
from chalicelib.observability import logger
from chalicelib.storage.api_keys import generate_api_key
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT, load_event
from tests.e2e.conftest import Api


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the production log handler writes (it keeps the stdout of import time)."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    handler.setStream(previous)  # type: ignore[attr-defined]


def national_forms(e164: str) -> list[str]:
    """+12025550101 as people write it at home: 202-555-0101, (202) 555-0101, 202.555.0101."""
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    return [f"{area}-{exchange}-{line}", f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}"]


def alarm_changed_at(client: Client, when: str) -> None:
    """An SNS alarm whose time is ``when``: refused, and the refusal is logged with the reason."""
    message = json.loads(load_event("sns-alarm.json")["Message"])
    sns = client.events.generate_sns_event(json.dumps({**message, "StateChangeTime": when}))
    client.lambda_.invoke("receive_alarm_messages", sns)


def test_a_full_run_logs_no_personal_data(
    api: Api, runner: QueueRunner, world: boto3.Session, log_output: io.StringIO
) -> None:
    demo = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
    event_id = api.post_event(demo).json_body["event_id"]
    api.post_event({**demo, "severity": "nonsense"})
    api.post_event(demo, key="wrong-key")
    unknown_key = generate_api_key()
    api.post_event(demo, key=unknown_key)
    # Hostile input that ends up in a logged refusal: a national number and a bare key.
    alarm_changed_at(api.client, "call 202-555-0101")
    alarm_changed_at(api.client, f"key {unknown_key}")
    runner.drain()
    api.get(f"/v1/events/{event_id}")

    lines = log_output.getvalue().splitlines()
    assert any('"message":"notifications dispatched"' in line for line in lines)
    with (PROJECT / "examples" / "contacts.csv").open() as handle:
        secrets = [
            value
            for row in csv.DictReader(handle)
            for value in (row["phone"], row["email"])
            + (tuple(national_forms(row["phone"])) if row["phone"] else ())
            if value
        ]
    secrets += [LOCAL_KEY, "wrong-key", unknown_key, unknown_key[4:]]
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"log line carries personal data or a key: {redact(line)}"
        assert redact(line) == line, f"log line carries something that looks personal: {line}"
