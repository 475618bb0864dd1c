"""Dedup, suppression and resolution, through the API and the queue handlers."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_email, sent_sms

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


def decide(api: Api, runner: QueueRunner, document: dict[str, Any]) -> dict[str, Any]:
    event_id = api.post_event(document).json_body["event_id"]
    runner.drain()
    return dict(api.get(f"/v1/events/{event_id}").json_body)


def test_the_same_dedup_key_updates_the_open_incident_and_notifies_nobody_again(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    first = decide(api, runner, DEMO)
    messages = len(sent_sms(world)) + len(sent_email(world))
    second = decide(api, runner, {**DEMO, "summary": "Still exposed"})
    assert second["status"] == "updated"
    assert second["incident_id"] == first["incident_id"]
    assert second["reason"] == f"duplicate of open incident {first['incident_id']}"
    assert len(sent_sms(world)) + len(sent_email(world)) == messages
    incident = api.get(f"/v1/incidents/{first['incident_id']}").json_body
    assert incident["event_count"] == 2


def test_below_threshold_is_suppressed_with_the_reason_and_nobody_is_paged(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    decision = decide(api, runner, {**DEMO, "metrics": {"affected_people": 120}})
    assert decision["status"] == "suppressed"
    assert decision["code"] == "below_threshold"
    assert decision["reason"] == (
        "below threshold: affected_people 120 < 500 (rule data-breach-500)"
    )
    assert decision["incident_id"] is None
    assert sent_sms(world) == [] and sent_email(world) == []


def test_resolve_closes_the_incident_and_a_new_trigger_opens_a_new_one(
    api: Api, runner: QueueRunner
) -> None:
    opened = decide(api, runner, DEMO)
    resolved = decide(
        api,
        runner,
        {
            "source": "soc.example.com",
            "type": "cyber.data_breach",
            "action": "resolve",
            "dedup_key": DEMO["dedup_key"],
        },
    )
    assert (resolved["status"], resolved["incident_id"]) == ("resolved", opened["incident_id"])
    incident = api.get(f"/v1/incidents/{opened['incident_id']}").json_body
    assert incident["status"] == "resolved" and incident["resolved_at"]
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert "resolved" in kinds and kinds[-1] in ("resolution_notices", "notification_sent")
    reopened = decide(api, runner, DEMO)
    assert reopened["status"] == "activated"
    assert reopened["incident_id"] != opened["incident_id"]


def test_resolving_what_is_not_open_is_suppressed(api: Api, runner: QueueRunner) -> None:
    decision = decide(
        api,
        runner,
        {"source": "s", "type": "it.outage", "action": "resolve", "dedup_key": "never-opened"},
    )
    assert (decision["status"], decision["code"]) == ("suppressed", "no_open_incident")


def test_an_exercise_is_marked_on_every_message(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    decision = decide(api, runner, {**DEMO, "status": "exercise"})
    assert decision["status"] == "activated"
    assert all(body.startswith("[EXERCISE] ") for _, body in sent_sms(world))
    assert all(subject.startswith("[EXERCISE] ") for _, subject in sent_email(world))
