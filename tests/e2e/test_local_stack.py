"""Through the running local stack, over HTTP, as `make run` serves it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack, free_port
from tests.conftest import LOCAL_KEY, PROJECT

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def call(method: str, url: str, body: bytes | None = None, key: str = LOCAL_KEY) -> Any:
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def test_a_crisis_posted_over_http_reaches_people_and_shows_in_the_outbox(
    stack: LocalStack,
) -> None:
    status, accepted = call(
        "POST",
        f"{stack.api_url}/v1/events",
        (PROJECT / "examples" / "events" / "demo.json").read_bytes(),
    )
    assert status == 202
    deadline = time.monotonic() + 30
    incident_id = None
    while time.monotonic() < deadline:
        _, event = call("GET", f"{stack.api_url}/v1/events/{accepted['event_id']}")
        incident_id = event["incident_id"]
        if incident_id and len(stack.outbox()) >= 12:
            break
        time.sleep(0.2)
    outbox = stack.outbox()
    assert {message["incident_id"] for message in outbox} == {incident_id}
    assert sorted({message["channel"] for message in outbox}) == ["broadcast", "email", "sms"]
    assert len(outbox) == 12  # 11 to the crisis cell, and one statement to the stakeholders
    _, incident = call("GET", f"{stack.api_url}/v1/incidents/{incident_id}")
    sent = {
        entry["data"]["message_id"]
        for entry in incident["timeline"]
        if entry["kind"] == "notification_sent"
    }
    assert sent == {message["message_id"] for message in outbox}


def test_the_stack_refuses_a_wrong_key_over_http(stack: LocalStack) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        call("POST", f"{stack.api_url}/v1/events", b"{}", key="wrong")
    with caught.value as refused:
        assert refused.code == 401
        assert json.load(refused)["error"]["code"] == "unauthorized"


def test_stopping_the_stack_stops_every_process_it_started() -> None:
    stack = LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True)
    with stack:
        processes = list(stack._processes)
        assert all(process.poll() is None for process in processes)
    assert all(process.poll() is not None for process in processes)
