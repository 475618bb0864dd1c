"""Reassessment and out-of-hours holds through the API, the queues and moto, with an injected
clock (#26): a breach that grows past 50,000 people pages exactly the people the crisis cell
adds; a supply-chain event at night is held and decided when Copenhagen's office opens."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_email, sent_sms, use_container

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 03:00 in Copenhagen, a Wednesday
ADA, BO, CHEN, DINA, FAY = (f"+1202555010{n}" for n in range(1, 6))


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def test_a_worse_breach_pages_exactly_the_people_the_higher_plan_adds(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    breach = {**DEMO, "severity": "high", "metrics": {"affected_people": 1200}}
    first = api.post_event(breach).json_body["event_id"]
    runner.drain()
    opened = api.get(f"/v1/events/{first}").json_body
    assert (opened["status"], opened["reason"]) == ("activated", "matched rule data-breach-500")
    assert Counter(phone for phone, _ in sent_sms(world)) == {BO: 1, CHEN: 1, FAY: 1}
    emailed = Counter(to for to, _ in sent_email(world))

    clock.current = NIGHT + timedelta(minutes=20)
    worse = {**breach, "severity": "critical", "metrics": {"affected_people": 60000}}
    second = api.post_event(worse).json_body["event_id"]
    runner.drain()

    decided = api.get(f"/v1/events/{second}").json_body
    assert (decided["status"], decided["code"]) == ("updated", "reassessed")
    assert decided["incident_id"] == opened["incident_id"]
    assert Counter(phone for phone, _ in sent_sms(world)) == {
        BO: 1,
        CHEN: 1,
        FAY: 1,
        ADA: 1,
        DINA: 1,
    }
    added = Counter(to for to, _ in sent_email(world)) - emailed
    assert set(added) == {"ada@example.com", "dina@example.com", "emil@example.com"}
    incident = api.get(f"/v1/incidents/{opened['incident_id']}").json_body
    assert (incident["severity"], incident["plan_id"], incident["rule_id"]) == (
        "critical",
        "crisis-cell",
        "data-breach-50000",
    )
    (why,) = [e["summary"] for e in incident["timeline"] if e["kind"] == "reassessed"]
    assert "rule data-breach-50000 (before data-breach-500) applies plan crisis-cell" in why

    before = len(sent_sms(world))
    api.post_event({**breach, "severity": "medium"})  # lower: a duplicate, nobody paged
    runner.drain()
    assert len(sent_sms(world)) == before


def test_an_event_at_night_is_held_and_decided_when_the_window_opens(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    supply = {
        "source": "erp",
        "type": "supply.shortage",
        "severity": "high",
        "summary": "Resin supplier stopped deliveries",
        "dedup_key": "resin",
    }
    event_id = api.post_event(supply).json_body["event_id"]
    runner.drain()
    held = api.get(f"/v1/events/{event_id}").json_body
    assert (held["status"], held["decide_at"]) == ("held", "2026-12-02T08:00:00+01:00")
    listed = api.get("/v1/events?status=held").json_body
    assert [item["event_id"] for item in listed["events"]] == [event_id]
    assert sent_sms(world) == [] and sent_email(world) == []

    clock.current = datetime(2026, 12, 2, 6, 59, tzinfo=UTC)
    tick(client)
    runner.drain()
    assert api.get(f"/v1/events/{event_id}").json_body["status"] == "held"

    clock.current = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    tick(client)
    runner.drain()
    decided = api.get(f"/v1/events/{event_id}").json_body
    assert (decided["status"], decided["reason"]) == (
        "activated",
        "matched rule supply-disruption-office-hours",
    )
    assert sent_email(world) or sent_sms(world)


def test_a_checklist_item_is_ticked_by_its_person_and_its_progress_shown(
    client: Client,
    api: Api,
    runner: QueueRunner,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    bo = key_maker("bo-key", {Scope.RESOLVE, Scope.READ}, contact_id="c-bo")
    shared = key_maker("ops-bot", {Scope.RESOLVE})
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    path = f"/v1/incidents/{incident_id}/checklist"
    headers = {"Authorization": f"Bearer {bo}"}
    for key, item, status in [
        (bo, "legal-dpa-duty", 403),  # another role's item
        (bo, "no-such-item", 404),
        (shared, "comms-holding-statement", 403),  # a shared key answers for nobody
    ]:
        answer = client.http.post(f"{path}/{item}", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == status, answer.json_body
    ticked = client.http.post(f"{path}/comms-holding-statement", headers=headers)
    assert ticked.status_code == 200, ticked.json_body
    assert ticked.json_body["ticked_by"] == "c-bo"
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["checklists"]["communications"]["done"] == 1
    assert incident["checklists"]["legal"]["done"] == 0
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert kinds.count("checklist_ticked") == 1
