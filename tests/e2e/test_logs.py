"""No phone number, email address or key appears in any log line of a full run."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import boto3
import pytest

from chalicelib.core.redaction import redact
from chalicelib.observability import logger
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.conftest import Api


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the production log handler writes (it keeps the stdout of import time)."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    handler.setStream(previous)  # type: ignore[attr-defined]


def test_a_full_run_logs_no_personal_data(
    api: Api, runner: QueueRunner, world: boto3.Session, log_output: io.StringIO
) -> None:
    demo = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
    event_id = api.post_event(demo).json_body["event_id"]
    api.post_event({**demo, "severity": "nonsense"})
    api.post_event(demo, key="wrong-key")
    runner.drain()
    api.get(f"/v1/events/{event_id}")

    lines = log_output.getvalue().splitlines()
    assert any('"message":"notifications dispatched"' in line for line in lines)
    with (PROJECT / "examples" / "contacts.csv").open() as handle:
        secrets = [
            value
            for row in csv.DictReader(handle)
            for value in (row["phone"], row["email"])
            if value
        ]
    secrets += [LOCAL_KEY, "wrong-key"]
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"log line carries personal data or a key: {redact(line)}"
        assert redact(line) == line, f"log line carries something that looks personal: {line}"
