"""The budget end to end: a storm through the HTTP API, the queues and DynamoDB (moto) against a
small budget; the holds through their API; every bad request refused with nothing sent twice;
an incident's cost; the held-messages gauge the alarm watches.

Four crises rather than a thousand: moto copies the whole table on every transaction, so a big
storm would take hours here (tests/unit/test_budget_storm.py runs 1,000 events through the same
use cases on in-memory stores).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import ApiKey, Scope
from chalicelib.observability import logger
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from chalicelib.storage.playbooks import DynamoPlaybookStore
from local.runner import QueueRunner, scheduled_event
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_email, sent_sms
from tocsin_cli.policies import read_policy_dir

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
CRISES = 4
SMS_BUDGET, EMAIL_BUDGET = 10, 12  # two crises' worth: each texts 5 people and emails 6
ADA, DINA = "+12025550101", "+12025550104"  # the executives: the release role


@pytest.fixture
def small_budget(world: boto3.Session, settings: Settings) -> None:
    """The example playbook with a budget set on purpose for this storm."""
    documents = read_policy_dir(PROJECT / "policies").sections
    budget = {
        "id": "budget",
        "per_hour": {
            "sms": {"messages": SMS_BUDGET},
            "email": {"messages": EMAIL_BUDGET},
            "voice": {"messages": 1},
        },
        "release": {"role": "executive", "channels": ["sms", "email"]},
    }
    documents["settings"] = [budget, *[d for d in documents["settings"] if d["id"] != "budget"]]
    store = DynamoPlaybookStore(world.client("dynamodb"), settings.config_table)
    store.apply(documents, datetime.now(UTC))


@pytest.fixture
def keys(world: boto3.Session, settings: Settings) -> dict[str, str]:
    """Personal spend keys of Ada (executive) and Fay (not), a spend key of nobody, and Ada's
    read-only key."""
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)
    made = {}
    for name, scopes, contact in (
        ("ada", {Scope.SPEND, Scope.READ}, "c-ada"),
        ("fay", {Scope.SPEND}, "c-fay"),
        ("machine", {Scope.SPEND}, None),
        ("ada-reader", {Scope.READ}, "c-ada"),
    ):
        made[name] = generate_api_key()
        store.add(
            made[name],
            ApiKey(name=name, scopes=frozenset(scopes), contact_id=contact),
            datetime.now(UTC),
        )
    return made


def post(client: Client, path: str, key: str) -> Any:
    return client.http.post(path, headers={"Authorization": f"Bearer {key}"}, body=b"")


def texts(world: boto3.Session) -> tuple[Counter[str], Counter[str]]:
    """(alerts, pages about held messages, in the reader's language) per phone number."""
    alerts: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    for phone, body in sent_sms(world):
        (alerts if body.startswith("TOCSIN CRITICAL") else pages)[phone] += 1
    return alerts, pages


def emails(world: boto3.Session) -> tuple[int, Counter[str]]:
    pages: Counter[str] = Counter()
    alerts = 0
    for address, subject in sent_email(world):
        if subject.startswith("[Tocsin CRITICAL]"):
            alerts += 1
        else:
            pages[address] += 1
    return alerts, pages


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def stormed(small_budget: None, api: Api, runner: QueueRunner, world: boto3.Session) -> list[str]:
    """Four breaches, each its own crisis; the incidents, in the order they opened."""
    incidents = []
    for number in range(CRISES):
        event = {**DEMO, "dedup_key": f"breach-{number}", "summary": f"Breach {number}"}
        event_id = api.post_event(event).json_body["event_id"]
        runner.drain()
        incidents.append(api.get(f"/v1/events/{event_id}").json_body["incident_id"])
    return incidents


def test_a_storm_sends_the_budget_holds_the_rest_and_a_release_sends_it_once(
    stormed: list[str],
    api: Api,
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    keys: dict[str, str],
) -> None:
    alerts, pages = texts(world)
    assert sum(alerts.values()) == SMS_BUDGET
    assert pages == {ADA: 1, DINA: 1}  # the release role, once, through the reserve
    email_alerts, email_pages = emails(world)
    assert email_alerts == EMAIL_BUDGET
    assert email_pages == {"ada@example.com": 1, "dina@example.com": 1}
    listed = api.get("/v1/holds").json_body["holds"]
    assert sorted(hold["incident_id"] for hold in listed) == sorted(stormed[2:])
    assert all(hold["messages"] == {"email": 6, "sms": 5} for hold in listed)
    timeline = api.get(f"/v1/incidents/{stormed[2]}").json_body["timeline"]
    [held] = [entry for entry in timeline if entry["kind"] == "held"]
    assert held["summary"].startswith(
        "11 messages (6 email, 5 sms) held past the budget (email: 12 messages an hour; sms: "
        "10 messages and 600 parts an hour)"
    )
    cost = api.get(f"/v1/incidents/{stormed[0]}").json_body["cost"]
    assert {name: cost[name] for name in ("sms_messages", "sms_parts", "emails", "statements")} == {
        "sms_messages": 5,
        "sms_parts": 6,  # Chen reads Chinese: UCS-2, so the text and its link take two parts
        "emails": 6,
        "statements": 0,  # drafted, not published: people approve statements
    }
    assert cost["estimated_usd"] == round(6 * 0.0088 + 6 * 0.0001, 4)
    assert cost["currency"] == "USD" and "2025" in cost["prices"]
    waiting = api.get(f"/v1/incidents/{stormed[3]}").json_body["cost"]
    assert (waiting["sms_messages"], waiting["emails"], waiting["statements"]) == (0, 0, 0)

    hold = next(hold for hold in listed if hold["incident_id"] == stormed[3])
    released = post(client, f"/v1/holds/{hold['hold_id']}/release", keys["ada"])
    assert released.status_code == 200
    assert (released.json_body["state"], released.json_body["settled_by"]) == ("released", "c-ada")
    runner.drain()
    alerts_after, _ = texts(world)
    assert sum(alerts_after.values()) == SMS_BUDGET + 5
    assert emails(world)[0] == EMAIL_BUDGET + 6
    incident = api.get(f"/v1/incidents/{stormed[3]}").json_body
    released_entry = next(e for e in incident["timeline"] if e["kind"] == "hold_released")
    assert released_entry["summary"].startswith(f"hold {hold['hold_id']} released by c-ada via api")
    assert (incident["cost"]["sms_messages"], incident["cost"]["emails"]) == (5, 6)

    again = post(client, f"/v1/holds/{hold['hold_id']}/release", keys["ada"])
    assert again.status_code == 409
    assert "already released" in again.json_body["error"]["message"]
    assert post(client, f"/v1/holds/{hold['hold_id']}/cancel", keys["ada"]).status_code == 409
    runner.drain()
    assert texts(world)[0] == alerts_after  # nothing sent twice
    assert emails(world)[0] == EMAIL_BUDGET + 6


def test_bad_callers_change_nothing_cancelled_holds_stay_cancelled_and_resolving_cancels(
    stormed: list[str],
    api: Api,
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    keys: dict[str, str],
    log_output: io.StringIO,
) -> None:
    def gauge() -> tuple[int, int]:
        client.lambda_.invoke(
            "report_held_messages", scheduled_event("report_held_messages", "us-east-1")
        )
        lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
        last = [line for line in lines if line["message"] == "held messages"][-1]
        return last["held_messages"], last["holds"]

    assert gauge() == (22, 2)  # what the held-messages alarm watches
    holds = {h["incident_id"]: h["hold_id"] for h in api.get("/v1/holds").json_body["holds"]}
    hold_id = holds[stormed[2]]
    refusals = {
        "fay": (403, "does not hold the release role 'executive'"),
        "machine": (403, "is not a personal key"),
        "ada-reader": (403, "does not have the spend scope"),
    }
    for name, (status, words) in refusals.items():
        answer = post(client, f"/v1/holds/{hold_id}/release", keys[name])
        assert (answer.status_code, words in answer.json_body["error"]["message"]) == (status, True)
    assert post(client, f"/v1/holds/{hold_id}/release", "wrong").status_code == 401
    for unknown in ("hld_01M8TBCTV0ZZ42DT6FWW9JC3DV", "nope", "hld_<script>"):
        assert post(client, f"/v1/holds/{unknown}/release", keys["ada"]).status_code == 404
    bad = api.get("/v1/holds?state=stuck")
    assert bad.status_code == 400 and bad.json_body["error"]["field"] == "state"
    assert api.get("/v1/holds?colour=red").json_body["error"]["field"] == "colour"
    before = sent_sms(world)
    runner.drain()
    assert sent_sms(world) == before  # nothing moved

    cancelled = post(client, f"/v1/holds/{hold_id}/cancel", keys["ada"])
    assert cancelled.status_code == 200 and cancelled.json_body["state"] == "cancelled"
    release = post(client, f"/v1/holds/{hold_id}/release", keys["ada"])
    assert release.status_code == 409
    assert "was cancelled" in release.json_body["error"]["message"]
    assert post(client, f"/v1/holds/{hold_id}/cancel", keys["ada"]).status_code == 409
    assert gauge() == (11, 1)

    resolved = client.http.post(
        f"/v1/incidents/{stormed[3]}/resolve",
        headers={"Authorization": "Bearer local-dev-key"},
        body=b"",
    )
    assert resolved.status_code == 200
    runner.drain()
    assert sent_sms(world) == before  # its alerts were never sent: no resolution notices
    timeline = api.get(f"/v1/incidents/{stormed[3]}").json_body["timeline"]
    [entry] = [e for e in timeline if e["kind"] == "hold_cancelled"]
    assert entry["summary"] == (
        f"incident resolved: hold {holds[stormed[3]]} cancelled, 11 messages (email 6, sms 5) "
        "held past the budget will not be sent"
    )
    states = {h["hold_id"]: h["state"] for h in api.get("/v1/holds?state=all").json_body["holds"]}
    assert states == {hold_id: "cancelled", holds[stormed[3]]: "cancelled"}
    assert gauge() == (0, 0)  # the alarm clears
