"""Statements through the API, the queues, moto and the ``tocsin`` command: the data breach
pages the crisis cell at once and drafts statements to staff and customers; nothing reaches
them until two people approve with their own keys and one publishes; every refusal is a clear
4xx that sends nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, ChaliceTransport, sent_email, sent_sms
from tocsin_cli.main import main

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


@pytest.fixture
def keys(key_maker: Callable[..., str]) -> dict[str, str]:
    """Personal keys (statements and read), two for Bo; a shared key with the same scopes."""
    both = {Scope.STATEMENTS, Scope.READ}
    made = {
        name: key_maker(f"{name}-key", both, contact_id=contact)
        for name, contact in [
            ("ada", "c-ada"),
            ("bo", "c-bo"),
            ("bo-phone", "c-bo"),
            ("dina", "c-dina"),
            ("fay", "c-fay"),
        ]
    }
    made["shared"] = key_maker("ops-bot", both)
    made["reader"] = key_maker("reader", {Scope.READ}, contact_id="c-ada")
    return made


def call(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode() if body is not None else b""
    return client.http.request(method, path, headers=headers, body=payload)


def open_breach(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def test_the_breach_pages_at_once_and_its_statements_wait_for_two_people(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], world: boto3.Session
) -> None:
    incident_id = open_breach(api, runner)
    assert len(sent_sms(world)) >= 4  # the crisis cell was paged at once
    base = f"/v1/incidents/{incident_id}/statements"
    listed = call(client, "GET", base, keys["reader"]).json_body["statements"]
    assert [(s["statement_id"], s["state"]) for s in listed] == [
        ("customers-en-1", "draft"),
        ("public-da-1", "draft"),
        ("public-en-1", "draft"),
        ("staff-da-1", "draft"),
        ("staff-en-1", "draft"),
    ]
    to_customers = "customer-notices@example.com"
    assert to_customers not in {to for to, _ in sent_email(world)}

    staff = f"{base}/staff-en-1"
    digest = listed[4]["digest"]
    first = call(client, "POST", f"{staff}/approve", keys["bo"], {"digest": digest})
    assert (first.status_code, first.json_body["state"]) == (200, "draft")
    assert call(client, "POST", f"{staff}/publish", keys["bo"]).status_code == 409
    second = call(client, "POST", f"{staff}/approve", keys["dina"], {"digest": digest})
    assert second.json_body["state"] == "approved"
    published = call(client, "POST", f"{staff}/publish", keys["ada"])
    assert published.status_code == 200, published.json_body
    assert published.json_body["sent"] == ["topic:stakeholders"]

    customers = f"{base}/customers-en-1"
    for who in ("ada", "bo"):
        assert call(client, "POST", f"{customers}/approve", keys[who]).status_code == 200
    assert call(client, "POST", f"{customers}/publish", keys["dina"]).status_code == 200
    assert (to_customers, "Service notice: we are investigating an incident") in sent_email(world)

    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    steps = [
        (e["kind"], e["data"].get("contact_id"))
        for e in timeline
        if e["kind"].startswith("statement_") and e["data"].get("statement_id") == "staff-en-1"
    ]
    assert steps == [
        ("statement_drafted", None),
        ("statement_approved", "c-bo"),
        ("statement_approved", "c-dina"),
        ("statement_published", "c-ada"),
        ("statement_sent", None),
    ]
    cost = api.get(f"/v1/incidents/{incident_id}").json_body["cost"]
    assert cost["statements"] == 1  # the topic; the customer list is an email


@pytest.mark.parametrize(
    ("setup", "action", "key", "body", "status", "words"),
    [
        (["bo"], "approve", "bo", None, 409, "c-bo already approved"),
        (["bo"], "approve", "bo-phone", None, 409, "another approval must come from another"),
        ([], "approve", "fay", None, 403, "communications, executive, legal"),
        ([], "approve", "shared", None, 403, "not a personal key"),
        ([], "approve", "reader", None, 403, "statements scope"),
        (["bo"], "publish", "ada", None, 409, "has 1 of the 2 approvals"),
        (["bo"], "edit", "ada", {"body": "Changed."}, 409, "frozen: c-bo approved"),
        ([], "approve", "ada", {"digest": "0123456789abcdef"}, 409, "not the text you read"),
        ([], "approve", "ada", {"digest": "x", "colour": 1}, 400, "unknown field"),
        ([], "edit", "ada", {"body": ""}, 400, "body"),
    ],
)
def test_each_refusal_is_a_clear_4xx_that_sends_nothing_and_changes_nothing(
    client: Client,
    api: Api,
    runner: QueueRunner,
    keys: dict[str, str],
    world: boto3.Session,
    setup: list[str],
    action: str,
    key: str,
    body: Any,
    status: int,
    words: str,
) -> None:
    incident_id = open_breach(api, runner)
    path = f"/v1/incidents/{incident_id}/statements/staff-en-1"
    for who in setup:
        assert call(client, "POST", f"{path}/approve", keys[who]).status_code == 200
    before = call(client, "GET", path.rsplit("/", 1)[0], keys["ada"]).json_body
    emails = len(sent_email(world))
    method, target = ("PUT", path) if action == "edit" else ("POST", f"{path}/{action}")
    answer = call(client, method, target, keys[key], body)
    assert answer.status_code == status, answer.json_body
    assert words in json.dumps(answer.json_body), answer.json_body
    assert call(client, "GET", path.rsplit("/", 1)[0], keys["ada"]).json_body == before
    assert len(sent_email(world)) == emails


def test_a_rejected_or_superseded_draft_cannot_be_approved(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str]
) -> None:
    incident_id = open_breach(api, runner)
    base = f"/v1/incidents/{incident_id}/statements"
    rejected = call(client, "POST", f"{base}/staff-da-1/reject", keys["dina"], {"reason": "wait"})
    assert rejected.json_body["state"] == "rejected"
    again = call(client, "POST", f"{base}/staff-da-1/approve", keys["ada"])
    assert (again.status_code, again.json_body["error"]["code"]) == (409, "conflict")
    assert "was rejected by c-dina" in again.json_body["error"]["message"]
    new = call(client, "POST", base, keys["bo"], {"replaces": "staff-en-1", "body": "We know."})
    assert (new.status_code, new.json_body["statement_id"]) == (201, "staff-en-2")
    assert new.headers["Location"].endswith("/statements/staff-en-2")
    old = call(client, "POST", f"{base}/staff-en-1/approve", keys["ada"])
    assert (
        old.status_code == 409 and "superseded by staff-en-2" in old.json_body["error"]["message"]
    )
    unknown = call(client, "POST", f"{base}/staff-en-9/approve", keys["ada"])
    assert unknown.status_code == 404


def test_the_tocsin_command_lists_drafts_approves_and_publishes_with_personal_keys(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], world: boto3.Session
) -> None:
    incident_id = open_breach(api, runner)
    out = io.StringIO()

    def tocsin(*argv: str, key: str) -> int:
        arguments = [*argv, "--key", keys[key]]
        return main(arguments, out, services=wiring.container(), transport=ChaliceTransport(client))

    assert tocsin("statement", "list", incident_id, key="ada") == 0
    assert "staff-en-1           initial  draft       0/2 approved" in out.getvalue()
    assert (
        tocsin(
            "statement",
            "draft",
            incident_id,
            "--audience",
            "customers",
            "--kind",
            "update",
            "--body",
            "We have verified the scope.",
            key="bo",
        )
        == 0
    )
    assert "customers-en-2 (update to customers, en): draft" in out.getvalue()
    for who in ("ada", "dina"):
        assert tocsin("statement", "approve", incident_id, "customers-en-2", key=who) == 0
    assert "customers-en-2: approved (2/2 approved (c-ada, c-dina)): approved" in out.getvalue()
    assert tocsin("statement", "publish", incident_id, "customers-en-2", key="bo") == 0
    assert "sent email:customer-notices@example.com" in out.getvalue()
    assert tocsin("statement", "approve", incident_id, "customers-en-2", key="bo") == 2
    assert "customer-notices@example.com" in {to for to, _ in sent_email(world)}
