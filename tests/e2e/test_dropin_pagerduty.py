"""PagerDuty's own paths (``/v2/enqueue``, ``/v2/change/enqueue``) through the app and its
queue handlers: PagerDuty's answers, one incident per dedup key, change events that page nobody,
and every bad request answered in PagerDuty's envelope with nothing kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.test import Client

from chalicelib.core.access import Scope
from chalicelib.core.model import scope_dedup_key
from chalicelib.settings import Settings
from chalicelib.storage.incidents import DynamoIncidentStore
from local.runner import QueueRunner
from tests.conftest import SHARED_SAMPLES
from tests.e2e.conftest import Api, sent_email, sent_sms
from tests.e2e.test_bad_input import nothing_was_accepted
from tests.e2e.test_integrations import post


def shared(name: str) -> dict[str, Any]:
    return dict(json.loads((SHARED_SAMPLES / name).read_text(encoding="utf-8")))


def open_incident(
    world: boto3.Session, settings: Settings, dedup_key: str, key_name: str
) -> str | None:
    """The open incident of ``dedup_key`` sent with the key named ``key_name`` (its dedup
    namespace, issue #17)."""
    return DynamoIncidentStore(world.client("dynamodb"), settings.incidents_table).find_open(
        scope_dedup_key(f"key:{key_name}", dedup_key)
    )


def items(world: boto3.Session, settings: Settings, prefix: str) -> list[dict[str, Any]]:
    return list(
        world.client("dynamodb").scan(
            TableName=settings.incidents_table,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": prefix}},
        )["Items"]
    )


def test_pagerdutys_published_trigger_acknowledge_and_resolve_drive_one_incident(
    client: Client,
    api: Api,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("datapipe", {Scope.TRIGGER, Scope.RESOLVE}, event_type="it.outage")
    trigger = post(
        client, "/v2/enqueue", {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
    )
    assert trigger.status_code == 202
    assert {k: trigger.json_body[k] for k in ("status", "message", "dedup_key")} == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    runner.drain()
    incident_id = open_incident(world, settings, "srv01/mysql", "datapipe")
    assert incident_id is not None
    for name in ("pagerduty-events-v2-acknowledge.json", "pagerduty-events-v2-resolve.json"):
        document = {**shared(name), "routing_key": key, "dedup_key": "srv01/mysql"}
        answer = post(client, "/v2/enqueue", document)
        assert (answer.status_code, answer.json_body["dedup_key"]) == (202, "srv01/mysql")
        runner.drain()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert incident["status"] == "resolved"
    # A tool's acknowledge is recorded but counts for nobody (issue 19): it does not stop paging.
    assert {"not_counted", "resolved"} <= set(kinds)
    # The routing key is a Tocsin key: it is not kept with the payload on the timeline.
    assert key not in json.dumps(incident)
    [received] = [e for e in incident["timeline"] if e["kind"] == "event_received"][:1]
    assert received["data"]["original"]["dedup_key"] == "srv01/mysql"
    assert received["data"]["original"]["routing_key"] == "<secret>"  # issue #17's mask


def test_a_trigger_without_a_dedup_key_gets_one_that_resolves_it(
    client: Client,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("datapipe", {Scope.TRIGGER, Scope.RESOLVE}, event_type="it.outage")
    trigger = {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
    del trigger["dedup_key"]
    dedup_key = post(client, "/v2/enqueue", trigger).json_body["dedup_key"]
    assert len(dedup_key) == 32  # as PagerDuty gives one
    runner.drain()
    assert open_incident(world, settings, dedup_key, "datapipe") is not None
    resolve = {"routing_key": key, "event_action": "resolve", "dedup_key": dedup_key}
    assert post(client, "/v2/enqueue", resolve).status_code == 202
    runner.drain()
    assert open_incident(world, settings, dedup_key, "datapipe") is None


def test_an_unknown_routing_key_is_400_as_pagerduty_answers_a_missing_one_401_nothing_kept(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    """PagerDuty answers 400 to a routing key it does not know; no key at all is 401, as on
    every Tocsin route (issue #17: tests/e2e/test_callers.py)."""
    for routing_key in ("not-a-key", None, ""):
        event = shared("pagerduty-events-v2-trigger.json")
        if routing_key is None:
            del event["routing_key"]
        else:
            event["routing_key"] = routing_key
        for path in ("/v2/enqueue", "/v2/change/enqueue"):
            answer = post(client, path, event)
            if routing_key:
                assert answer.status_code == 400, (path, routing_key)
                assert answer.json_body["status"] == "invalid event"
                assert answer.json_body["errors"][0].startswith("routing_key: Invalid routing key")
            else:
                assert answer.status_code == 401, (path, routing_key)
                assert "routing_key" in answer.json_body["message"]
    assert nothing_was_accepted(world, settings)
    assert items(world, settings, "CHANGES#") == []


def test_bad_events_get_pagerdutys_400_naming_the_field_and_nothing_is_kept(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("datapipe", {Scope.TRIGGER, Scope.RESOLVE})
    cases = [
        ({"routing_key": key, "event_action": "explode"}, "event_action: must be one of"),
        ({"routing_key": key, "event_action": "resolve"}, "dedup_key: is required"),
        (
            {
                "routing_key": key,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x"},
            },
            "payload.severity: is required",
        ),
    ]
    for body, words in cases:
        answer = post(client, "/v2/enqueue", body)
        assert answer.status_code == 400
        assert answer.json_body["status"] == "invalid event"
        assert answer.json_body["errors"][0].startswith(words), answer.json_body
    not_json = client.http.post(
        "/v2/enqueue", body=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json_body["message"]
    assert post(client, "/v2/enqueue", ["a", "list"]).status_code == 400
    assert nothing_was_accepted(world, settings)


def test_over_its_rate_a_key_gets_pagerdutys_429(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("chatty", {Scope.TRIGGER}, rate_per_minute=1)
    event = {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
    assert post(client, "/v2/enqueue", event).status_code == 202
    throttled = post(client, "/v2/enqueue", event)
    assert throttled.status_code == 429
    assert throttled.json_body["status"] == "throttle exceeded"
    assert int(throttled.headers["Retry-After"]) >= 1


def test_keys_bound_to_an_integration_work_on_its_paths_only(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    pagerduty = key_maker("pd", {Scope.TRIGGER}, integrations=frozenset({"pagerduty"}))
    grafana = key_maker("grafana", {Scope.TRIGGER}, integrations=frozenset({"grafana"}))
    change = {"payload": {"summary": "Deployed payments-api 2.3"}}
    assert (
        post(client, "/v2/change/enqueue", {**change, "routing_key": pagerduty}).status_code == 202
    )
    refused = post(client, "/v2/change/enqueue", {**change, "routing_key": grafana})
    assert refused.status_code == 403
    message = refused.json_body["message"]  # issue #17's words: the paths it may call
    assert "bound to grafana" in message and "/v2/change/enqueue" in message
    on_opsgenie = post(
        client, "/v2/alerts", {"message": "x"}, {"Authorization": f"GenieKey {pagerduty}"}
    )
    assert on_opsgenie.status_code == 403
    assert nothing_was_accepted(world, settings)


def test_a_change_event_lands_on_the_senders_open_incidents_and_pages_nobody(
    client: Client,
    api: Api,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    mine = key_maker("payments", {Scope.TRIGGER}, event_type="it.outage")
    theirs = key_maker("warehouse", {Scope.TRIGGER}, event_type="it.outage")
    for key, dedup_key in ((mine, "payments/latency"), (theirs, "warehouse/conveyor")):
        event = {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
        post(client, "/v2/enqueue", {**event, "dedup_key": dedup_key})
    runner.drain()
    sent_before = (len(sent_sms(world)), len(sent_email(world)))
    mine_open = open_incident(world, settings, "payments/latency", "payments")
    change = {
        "routing_key": mine,
        "payload": {
            "summary": "Deployed payments-api 2.3",
            "timestamp": "2026-11-23T03:01:00.000+0000",
            "source": "deploy-bot",
            "custom_details": {"commit": "4f2a9c1"},
        },
        "links": [{"href": "https://ci.example.com/builds/220", "text": "Build 220"}],
    }
    answer = post(client, "/v2/change/enqueue", change)
    assert answer.status_code == 202
    assert answer.json_body["message"] == "Change event processed"
    assert answer.json_body["incident_ids"] == [mine_open]
    runner.drain()
    assert (len(sent_sms(world)), len(sent_email(world))) == sent_before  # nobody paged
    timeline = api.get(f"/v1/incidents/{mine_open}").json_body["timeline"]
    [entry] = [e for e in timeline if e["kind"] == "change"]
    assert entry["summary"] == "change: Deployed payments-api 2.3 (from deploy-bot)"
    assert entry["data"]["links"] == [
        {"href": "https://ci.example.com/builds/220", "text": "Build 220"}
    ]
    theirs_open = open_incident(world, settings, "warehouse/conveyor", "warehouse")
    theirs_timeline = api.get(f"/v1/incidents/{theirs_open}").json_body["timeline"]
    assert not [e for e in theirs_timeline if e["kind"] == "change"]


def test_changes_are_listed_on_the_senders_later_incidents(
    client: Client,
    api: Api,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("payments", {Scope.TRIGGER, Scope.RESOLVE}, event_type="it.outage")
    change = {"routing_key": key, "payload": {"summary": "Feature flag fast-checkout on"}}
    assert post(client, "/v2/change/enqueue", change).json_body["incident_ids"] == []
    event = {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
    post(client, "/v2/enqueue", event)
    runner.drain()
    runner.drain()  # a redelivered decision lists nothing twice
    incident_id = open_incident(world, settings, "srv01/mysql", "payments")
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    listed = [e["summary"] for e in timeline if e["kind"] == "recent_change"]
    assert listed == ["change before this incident: Feature flag fast-checkout on"]
    # Resolved, the incident is no longer the sender's to annotate.
    post(
        client,
        "/v2/enqueue",
        {"routing_key": key, "event_action": "resolve", "dedup_key": "srv01/mysql"},
    )
    runner.drain()
    later = post(client, "/v2/change/enqueue", {**change, "payload": {"summary": "Rolled back"}})
    assert later.json_body["incident_ids"] == []


def test_a_change_event_without_a_summary_is_400_and_nothing_is_recorded(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("payments", {Scope.TRIGGER})
    for payload in ({"source": "deploy-bot"}, {"summary": "   "}, {"summary": 7}):
        answer = post(client, "/v2/change/enqueue", {"routing_key": key, "payload": payload})
        assert answer.status_code == 400
        assert answer.json_body["status"] == "invalid event"
        assert answer.json_body["errors"][0].startswith("payload.summary:")
    no_payload = post(client, "/v2/change/enqueue", {"routing_key": key})
    assert no_payload.json_body["errors"] == ["payload: must be an object"]
    reader = key_maker("reader", {Scope.READ})
    no_scope = post(
        client, "/v2/change/enqueue", {"routing_key": reader, "payload": {"summary": "x"}}
    )
    assert no_scope.status_code == 403
    assert items(world, settings, "CHANGES#") == []
    assert nothing_was_accepted(world, settings)


def test_alertmanagers_pagerduty_configs_payloads_open_and_resolve(
    client: Client,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    """What Alertmanager's pagerduty_configs posts (notify/pagerduty: routing_key, dedup_key
    = the group key's hash, payload with custom_details of strings; the same for resolved)."""
    key = key_maker(
        "prometheus", {Scope.TRIGGER, Scope.RESOLVE}, integrations=frozenset({"pagerduty"})
    )
    group = "9f2c0c4b1d7e8a3f6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
    message = {
        "routing_key": key,
        "dedup_key": group,
        "event_action": "trigger",
        "payload": {
            "summary": "[FIRING:1] DiskFull (db-1 critical)",
            "source": "alertmanager.example.com",
            "severity": "critical",
            "custom_details": {
                "firing": "Labels:\n - alertname = DiskFull\n",
                "num_firing": "1",
                "num_resolved": "0",
                "resolved": "",
            },
        },
        "client": "Alertmanager",
        "client_url": "https://alertmanager.example.com/#/alerts?receiver=tocsin",
    }
    assert post(client, "/v2/enqueue", message).status_code == 202
    runner.drain()
    assert open_incident(world, settings, group, "prometheus") is not None
    resolved = {**message, "event_action": "resolve"}
    assert post(client, "/v2/enqueue", resolved).status_code == 202
    runner.drain()
    assert open_incident(world, settings, group, "prometheus") is None


def test_the_answer_points_at_the_event_as_on_the_v1_path(
    client: Client,
    api: Api,
    runner: QueueRunner,
    key_maker: Any,
) -> None:
    key = key_maker("datapipe", {Scope.TRIGGER, Scope.READ}, event_type="it.outage")
    answer = post(
        client, "/v2/enqueue", {**shared("pagerduty-events-v2-trigger.json"), "routing_key": key}
    )
    runner.drain()
    decision = api.get(answer.headers["Location"]).json_body
    assert (decision["event_id"], decision["status"]) == (answer.json_body["event_id"], "activated")
    assert datetime.fromisoformat(decision["received_at"]) <= datetime.now(UTC)
