"""Monitoring tools' own payloads, through the integration routes and the queue handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import ApiKey, Scope, SignedRequest, signature
from chalicelib.core.model import scope_dedup_key
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from chalicelib.storage.incidents import DynamoIncidentStore
from fakes import FixedClock
from local.runner import QueueRunner
from tests.conftest import EVENTS, LOCAL_KEY, load_event
from tests.e2e.conftest import Api, use_container
from tests.e2e.test_bad_input import nothing_was_accepted


@pytest.fixture
def make_key(world: boto3.Session, settings: Settings) -> Any:
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)

    def make(name: str, scopes: set[Scope], **options: Any) -> str:
        key = generate_api_key()
        store.add(key, ApiKey(name, frozenset(scopes), **options), datetime.now(UTC))
        return key

    return make


def post(
    client: Client,
    path: str,
    body: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post(
        path, body=raw, headers={"Content-Type": content_type, **(headers or {})}
    )


def bearer(key: str = LOCAL_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def incident_of(api: Api, event_id: str) -> dict[str, Any]:
    decision = api.get(f"/v1/events/{event_id}").json_body
    return dict(api.get(f"/v1/incidents/{decision['incident_id']}").json_body)


def test_alertmanager_firing_then_resolved_opens_then_resolves(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    firing = post(
        client, "/v1/integrations/alertmanager", load_event("alertmanager-firing.json"), bearer()
    )
    assert firing.status_code == 202
    primary, replica = firing.json_body["event_ids"]
    runner.drain()
    incident = incident_of(api, primary)
    assert (incident["status"], incident["type"]) == ("open", "it.outage")
    received = incident["timeline"][0]
    assert received["data"]["format"] == "alertmanager"
    assert received["data"]["original"]["receiver"] == "tocsin"  # the payload as sent
    # The replica's warning has no tocsin_type: an it.alert, emailed as a notice.
    assert api.get(f"/v1/events/{replica}").json_body["reason"] == (
        "matched rule monitoring-alert-notice"
    )

    resolved = post(
        client, "/v1/integrations/alertmanager", load_event("alertmanager-resolved.json"), bearer()
    )
    runner.drain()
    first = resolved.json_body["event_ids"][0]
    assert api.get(f"/v1/events/{first}").json_body["status"] == "resolved"
    assert incident_of(api, primary)["status"] == "resolved"


def test_pagerduty_trigger_acknowledge_resolve_drive_one_incident(
    client: Client,
    api: Api,
    runner: QueueRunner,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = make_key("monitor", {Scope.TRIGGER, Scope.RESOLVE}, event_type="it.outage")
    trigger = post(
        client,
        "/v1/integrations/pagerduty",
        {**load_event("pagerduty-trigger.json"), "routing_key": key},
    )
    assert trigger.status_code == 202
    assert trigger.json_body == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "payments/api-latency",
        "event_id": trigger.json_body["event_id"],
    }
    runner.drain()
    incident_id = DynamoIncidentStore(world.client("dynamodb"), settings.incidents_table).find_open(
        scope_dedup_key("key:monitor", "payments/api-latency")  # the key's own namespace
    )
    assert incident_id is not None
    for name in ("pagerduty-acknowledge.json", "pagerduty-resolve.json"):
        answer = post(
            client, "/v1/integrations/pagerduty", {**load_event(name), "routing_key": key}
        )
        assert answer.status_code == 202
        runner.drain()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert incident["status"] == "resolved"
    assert "resolved" in kinds
    # PagerDuty's acknowledge is recorded, and does not count: a tool answers for no person.
    [tool] = [e for e in incident["timeline"] if e["kind"] == "not_counted"]
    assert (tool["data"]["by"], tool["data"]["why"]) == ("pagerduty", "not_a_person")
    assert "acknowledged" not in kinds
    # Everyone the trigger reached is told it is over.
    assert "resolution_notices" in kinds
    notices = [e for e in incident["timeline"] if e["data"].get("notice") == "resolved"]
    assert notices and all(e["kind"] == "notification_sent" for e in notices)


def test_pagerduty_answer_points_at_the_event_so_its_decision_can_be_read(
    client: Client, api: Api, runner: QueueRunner, make_key: Any
) -> None:
    key = make_key("monitor", {Scope.TRIGGER}, event_type="it.outage")
    answer = post(
        client,
        "/v1/integrations/pagerduty",
        {**load_event("pagerduty-trigger.json"), "routing_key": key},
    )
    assert answer.status_code == 202
    event_id = answer.json_body["event_id"]
    assert answer.headers["Location"] == f"/v1/events/{event_id}"
    runner.drain()
    decision = api.get(answer.headers["Location"]).json_body
    assert (decision["event_id"], decision["status"]) == (event_id, "activated")
    # The OpenAPI description says so too.
    spec = json.loads(client.http.get("/v1/openapi.json").body)
    accepted = spec["paths"]["/v1/integrations/pagerduty"]["post"]["responses"]["202"]
    assert "Location" in accepted["headers"]
    assert "event_id" in spec["components"]["schemas"]["PagerDutySuccess"]["required"]


def test_pagerduty_errors_come_in_pagerdutys_envelope(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    key = make_key("monitor", {Scope.TRIGGER})
    bad = post(
        client,
        "/v1/integrations/pagerduty",
        {"routing_key": key, "event_action": "trigger", "payload": {"source": "x"}},
    )
    assert bad.status_code == 400
    assert bad.json_body["status"] == "invalid event"
    assert bad.json_body["errors"] == ["payload.severity: is required"]
    unknown = post(
        client,
        "/v1/integrations/pagerduty",
        {**load_event("pagerduty-trigger.json"), "routing_key": "not-a-key"},
    )
    assert unknown.status_code == 401
    assert unknown.json_body["message"] == "the API key is not valid"
    no_scope = post(
        client,
        "/v1/integrations/pagerduty",
        {**load_event("pagerduty-resolve.json"), "routing_key": key},
    )
    assert no_scope.status_code == 403
    assert "resolve scope" in no_scope.json_body["message"]
    assert nothing_was_accepted(world, settings)


def test_opsgenie_create_alert_with_a_geniekey(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    use_container(clock=FixedClock(datetime(2026, 11, 21, 12, 0, tzinfo=UTC)))  # Saturday
    answer = post(
        client,
        "/v1/integrations/opsgenie",
        load_event("opsgenie-create.json"),
        {"Authorization": f"GenieKey {LOCAL_KEY}"},
    )
    assert answer.status_code == 202
    assert answer.json_body["result"] == "Request will be processed"
    runner.drain()
    event = api.get(f"/v1/events/{answer.json_body['requestId']}").json_body
    # The example's supply-chain rule below critical only runs in Copenhagen office hours: held
    # until Monday 08:00 there.
    assert (event["status"], event["code"]) == ("held", "held")
    assert event["decide_at"] == "2026-11-23T08:00:00+01:00"
    assert "supply-disruption-office-hours" in event["reason"]
    bearer_instead = post(
        client, "/v1/integrations/opsgenie", load_event("opsgenie-create.json"), bearer()
    )
    assert bearer_instead.status_code == 401
    invalid = post(
        client,
        "/v1/integrations/opsgenie",
        {"priority": "P1"},
        {"Authorization": f"GenieKey {LOCAL_KEY}"},
    )
    assert invalid.status_code == 422
    assert invalid.json_body["errors"] == {"message": "is required"}


def test_grafana_alerting_takes_the_type_its_key_was_given(
    client: Client, api: Api, runner: QueueRunner, make_key: Any
) -> None:
    key = make_key(
        "grafana-payments",
        {Scope.TRIGGER, Scope.RESOLVE, Scope.READ},
        event_type="it.outage",
        integrations=frozenset({"grafana"}),
    )
    answer = post(
        client, "/v1/integrations/grafana", load_event("grafana-unified.json"), bearer(key)
    )
    assert answer.status_code == 202
    runner.drain()
    [event_id] = answer.json_body["event_ids"]
    decision = api.get(f"/v1/events/{event_id}").json_body
    assert (decision["status"], decision["reason"]) == ("activated", "matched rule it-outage-major")


def test_cap_exercise_becomes_a_drill_and_cancel_resolves(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    alert_event, drill_event = (
        _single(
            post(
                client,
                "/v1/integrations/cap",
                (EVENTS / name).read_bytes(),
                bearer(),
                content_type=media,
            )
        )
        for name, media in (
            ("cap-earthquake-alert.xml", "application/xml"),
            ("cap-earthquake-exercise.xml", "application/cap+xml"),
        )
    )
    runner.drain()
    real, drill = incident_of(api, alert_event), incident_of(api, drill_event)
    assert (real["type"], real["exercise"], drill["exercise"]) == (
        "natural.earthquake",
        False,
        True,
    )
    cancel = post(
        client,
        "/v1/integrations/cap",
        (EVENTS / "cap-earthquake-cancel.xml").read_bytes(),
        bearer(),
        content_type="text/xml",
    )
    runner.drain()
    assert api.get(f"/v1/events/{_single(cancel)}").json_body["status"] == "resolved"
    assert incident_of(api, alert_event)["status"] == "resolved"
    assert incident_of(api, drill_event)["status"] == "open"


def _single(answer: Any) -> str:
    [event_id] = answer.json_body["event_ids"]
    return str(event_id)


@pytest.mark.parametrize(
    ("path", "body", "headers", "content_type", "status"),
    [
        (
            "/v1/integrations/alertmanager",
            load_event("alertmanager-firing.json"),
            {},
            "application/json",
            401,
        ),
        (
            "/v1/integrations/alertmanager",
            load_event("alertmanager-firing.json"),
            {"Authorization": "Bearer wrong"},
            "application/json",
            401,
        ),
        (
            "/v1/integrations/alertmanager",
            load_event("alertmanager-firing.json"),
            {"Authorization": f"Bearer {LOCAL_KEY}"},
            "text/plain",
            415,
        ),
        (
            "/v1/integrations/alertmanager",
            {"alerts": "many"},
            {"Authorization": f"Bearer {LOCAL_KEY}"},
            "application/json",
            400,
        ),
        (
            "/v1/integrations/alertmanager",
            b"x" * (256 * 1024 + 1),
            {"Authorization": f"Bearer {LOCAL_KEY}"},
            "application/json",
            413,
        ),
        (
            "/v1/integrations/cap",
            (EVENTS / "cap-entity-attack.xml").read_bytes(),
            {"Authorization": f"Bearer {LOCAL_KEY}"},
            "application/xml",
            400,
        ),
        (
            "/v1/integrations/cap",
            (EVENTS / "cap-earthquake-alert.xml").read_bytes(),
            {"Authorization": f"Bearer {LOCAL_KEY}"},
            "application/json",
            415,
        ),
    ],
)
def test_refused_requests_get_their_status_and_nothing_is_queued(
    client: Client,
    world: boto3.Session,
    settings: Settings,
    path: str,
    body: Any,
    headers: dict[str, str],
    content_type: str,
    status: int,
) -> None:
    answer = post(client, path, body, headers, content_type)
    assert answer.status_code == status, answer.json_body
    assert answer.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)


def test_a_key_for_another_integration_or_without_the_scope_is_forbidden(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    grafana_only = make_key(
        "grafana", {Scope.TRIGGER, Scope.RESOLVE}, integrations=frozenset({"grafana"})
    )
    wrong_place = post(
        client,
        "/v1/integrations/alertmanager",
        load_event("alertmanager-firing.json"),
        bearer(grafana_only),
    )
    assert wrong_place.status_code == 403
    trigger_only = make_key("trigger-only", {Scope.TRIGGER})
    resolve = post(
        client,
        "/v1/integrations/alertmanager",
        load_event("alertmanager-resolved.json"),
        bearer(trigger_only),
    )
    assert resolve.status_code == 403
    assert resolve.json_body["error"]["message"] == (
        "the key 'trigger-only' does not have the resolve scope"
    )
    assert nothing_was_accepted(world, settings)
    reader = post(
        client,
        "/v1/events",
        {"source": "s", "type": "it.outage", "severity": "high", "summary": "x"},
        bearer(trigger_only),
    )
    assert reader.status_code == 202
    assert (
        client.http.get(
            f"/v1/events/{reader.json_body['event_id']}", headers=bearer(trigger_only)
        ).status_code
        == 403
    )


def signed(
    secret: str,
    body: bytes,
    at: int | None = None,
    path: str = "/v1/integrations/alertmanager",
    method: str = "POST",
    query: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """The headers a client sends for a signed request (docs/INTEGRATIONS.md)."""
    timestamp = str(at if at is not None else int(datetime.now(UTC).timestamp()))
    request = SignedRequest(method, path, query or {}, body)
    return {
        "X-Tocsin-Timestamp": timestamp,
        "X-Tocsin-Signature": signature(secret, timestamp, request),
    }


def test_signed_requests_with_either_secret_during_rotation(client: Client, make_key: Any) -> None:
    key = make_key("signed", {Scope.TRIGGER}, signing_secrets=("old-secret", "new-secret"))
    body = json.dumps(load_event("alertmanager-firing.json")).encode()
    for secret in ("old-secret", "new-secret"):
        answer = post(
            client, "/v1/integrations/alertmanager", body, {**bearer(key), **signed(secret, body)}
        )
        assert answer.status_code == 202, answer.json_body


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (lambda body: {}, "requires signed requests"),
        (lambda body: signed("wrong-secret", body), "signature does not match"),
        (
            lambda body: signed("the-secret", body, at=int(datetime.now(UTC).timestamp()) - 600),
            "outside the five-minute window",
        ),
        (lambda body: signed("the-secret", body + b" "), "signature does not match"),
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_queued(
    client: Client,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
    headers: Any,
    words: str,
) -> None:
    key = make_key("signed", {Scope.TRIGGER}, signing_secrets=("the-secret",))
    body = json.dumps(load_event("alertmanager-firing.json")).encode()
    answer = post(client, "/v1/integrations/alertmanager", body, {**bearer(key), **headers(body)})
    assert answer.status_code == 401
    assert words in answer.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)


def events_recorded(world: boto3.Session, settings: Settings) -> list[dict[str, Any]]:
    return list(
        world.client("dynamodb").scan(
            TableName=settings.incidents_table,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": "EVENT#"}},
        )["Items"]
    )


def test_a_replayed_signed_request_is_refused(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    key = make_key("signed", {Scope.TRIGGER}, signing_secrets=("the-secret",))
    body = json.dumps(load_event("alertmanager-firing.json")).encode()
    headers = {**bearer(key), **signed("the-secret", body)}
    assert post(client, "/v1/integrations/alertmanager", body, headers).status_code == 202
    replay = post(client, "/v1/integrations/alertmanager", body, headers)
    assert replay.status_code == 401
    assert replay.json_body["error"]["message"] == "this signed request was already received"
    assert len(events_recorded(world, settings)) == 2  # the two alerts of the first request only


def test_a_key_over_its_rate_gets_429_with_retry_after(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    key = make_key("chatty", {Scope.TRIGGER}, rate_per_minute=2)
    event = {"source": "s", "type": "it.outage", "severity": "low", "summary": "x"}
    answers = [post(client, "/v1/events", event, bearer(key)) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert answers[2].json_body["error"]["code"] == "rate_limited"
