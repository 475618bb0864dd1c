"""JSON built to hurt: nested 100,000 levels deep, or holding a lone surrogate. Every path that
reads JSON answers 400 naming the limit (never RecursionError and 500), keeps nothing, and the
handlers fed by AWS drop such a message with a warning instead of failing for ever."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.json_text import MAX_DEPTH
from chalicelib.settings import Settings
from tests.conftest import LOCAL_KEY
from tests.e2e.test_bad_input import nothing_was_accepted

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"":' * 40_000 + b"1" + b"}" * 40_000
LONE_SURROGATE = (
    b'{"source": "soc.example.com", "type": "it.outage", "severity": "high", '
    b'"summary": "broken emoji \\ud83d here"}'
)

# Every route that reads a JSON body (the XML one, CAP, has its own hostile-input tests).
JSON_ROUTES = [
    ("post", "/v1/events"),
    ("post", "/v1/integrations/alertmanager"),
    ("post", "/v1/integrations/grafana"),
    ("post", "/v1/integrations/pagerduty"),
    ("post", "/v1/integrations/opsgenie"),
    ("put", "/v1/contacts/c-hostile"),
    ("post", "/v1/oncall/it-duty/overrides"),
    ("post", "/v1/plans/data-breach-response/activate"),
    ("post", "/v1/incidents/inc_01M84STVCFS7F5J06PS8A3D6CA/reject"),
]


@pytest.fixture
def warnings_logged() -> Iterator[list[logging.LogRecord]]:
    """The warnings Tocsin's logger writes during the test (records, with their extra keys)."""
    records: list[logging.LogRecord] = []
    collector = logging.Handler(logging.WARNING)
    collector.emit = records.append  # type: ignore[method-assign]
    tocsin = logging.getLogger("tocsin")
    tocsin.addHandler(collector)
    yield records
    tocsin.removeHandler(collector)


def send(client: Client, method: str, path: str, body: bytes) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {LOCAL_KEY}"}
    return getattr(client.http, method)(path, headers=headers, body=body)


def contacts_stored(world: boto3.Session, settings: Settings) -> int:
    return int(world.client("dynamodb").scan(TableName=settings.contacts_table)["Count"])


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize(("method", "path"), JSON_ROUTES, ids=[path for _, path in JSON_ROUTES])
def test_json_nested_100000_levels_is_refused_naming_the_limit_on_every_path(
    client: Client, world: boto3.Session, settings: Settings, method: str, path: str, body: bytes
) -> None:
    contacts_before = contacts_stored(world, settings)
    response = send(client, method, path, body)
    assert response.status_code == 400, response.body[:300]
    text = response.body.decode()
    assert f"nested at most {MAX_DEPTH} levels deep" in text
    assert nothing_was_accepted(world, settings)
    assert contacts_stored(world, settings) == contacts_before


def test_json_exactly_at_the_depth_limit_is_read(client: Client) -> None:
    """The limit is the limit: 64 levels are read (and then judged as an event), 65 are not."""
    nested: Any = "deep"
    for _ in range(MAX_DEPTH - 1):  # inside the event object: the details and 62 more
        nested = {"level": nested}
    event = {"source": "s", "type": "it.outage", "severity": "high", "summary": "x"}
    at_limit = send(client, "post", "/v1/events", json.dumps({**event, "details": nested}).encode())
    assert at_limit.status_code == 202, at_limit.body
    over = send(
        client,
        "post",
        "/v1/events",
        json.dumps({**event, "details": {"level": nested}}).encode(),
    )
    assert over.status_code == 400
    assert f"at most {MAX_DEPTH} levels" in over.json_body["error"]["message"]


def test_a_lone_surrogate_is_refused_and_nothing_is_kept(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    """It used to be recorded as pending, then the queue could not carry it: 500, and an
    event pending for ever."""
    response = send(client, "post", "/v1/events", LONE_SURROGATE)
    assert response.status_code == 400
    assert response.json_body["error"]["message"] == (
        "the body holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): "
        "that is not text"
    )
    assert nothing_was_accepted(world, settings)
    paired = LONE_SURROGATE.replace(b"\\ud83d", b"\\ud83d\\ude92")  # a whole fire engine
    assert send(client, "post", "/v1/events", paired).status_code == 202


@pytest.mark.parametrize("message", [DEEP.decode(), DEEP_OBJECT.decode()])
@pytest.mark.parametrize(
    "handler", ["receive_alarm_messages", "track_deliveries", "answer_sms_replies"]
)
def test_handlers_fed_by_aws_drop_hostile_json_with_a_warning(
    client: Client,
    world: boto3.Session,
    settings: Settings,
    handler: str,
    message: str,
    warnings_logged: list[logging.LogRecord],
) -> None:
    """Retrying would never make it readable: the handler returns (no retries, no dead letter)
    and says why in its log."""
    client.lambda_.invoke(handler, client.events.generate_sns_event(message=message))
    [warning] = warnings_logged
    assert "dropped" in warning.getMessage() or "ignored" in warning.getMessage()
    assert f"at most {MAX_DEPTH} levels" in str(vars(warning).get("error"))
    assert nothing_was_accepted(world, settings)
