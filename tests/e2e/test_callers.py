"""Only the right callers: a key does only what it was made for (its paths, its event types, its
own dedup namespace, its rate in events, a signature bound to one request), and no credential
is ever stored or returned. Each test here is named in docs/SECURITY.md."""

from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.core.access import INTEGRATIONS, ApiKey, Scope, SignedRequest, signature
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from local.runner import QueueRunner
from tests.conftest import EVENTS, LOCAL_KEY, PROJECT, load_event
from tests.e2e.conftest import Api
from tests.e2e.test_bad_input import nothing_was_accepted

EVENT_ID = "evt_01M84STVCFS7F5J06PS8A3D6CA"
INCIDENT_ID = "inc_01M84STVCFS7F5J06PS8A3D6CA"
DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
# Routes anyone may call: the API's description, and the acknowledgement link's page (which
# its signed token guards). Every other route needs a key; a test below holds this list true.
# The token in the path is the credential where the caller cannot send a key: a person's link,
# and a calendar app subscribed to a person's on-call feed.
PUBLIC = {
    ("GET", "/v1/openapi.json"),
    ("GET", "/a/{token}"),
    ("POST", "/a/{token}"),
    ("GET", "/v1/calendars/{token}"),
}
ROUTES = sorted((method, path) for path, entries in app.routes.items() for method in entries)
# The operator console's routes: a browser carries no key, so their credential is the session
# cookie a personal key (or the identity provider) is exchanged for; the sign-in routes take none.
SIGN_IN = {
    ("GET", "/console/signin"): 200,
    ("POST", "/console/signin"): 401,
    ("GET", "/console/signin/idp"): 404,  # this stack has no identity provider
    ("GET", "/console/signin/callback"): 404,
}
CONSOLE = [route for route in ROUTES if route[1].startswith("/console")]
GUARDED = [route for route in ROUTES if route not in PUBLIC and route not in CONSOLE]


@pytest.fixture
def make_key(world: boto3.Session, settings: Settings) -> Any:
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)

    def make(name: str, scopes: set[Scope], **options: Any) -> str:
        key = generate_api_key()
        store.add(key, ApiKey(name, frozenset(scopes), **options), datetime.now(UTC))
        return key

    return make


def call(
    client: Client,
    method: str,
    path: str,
    key: str | None,
    body: Any = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Any:
    """A request the way each tool sends its key: PagerDuty's in the body, Opsgenie's as
    ``GenieKey`` (on their /v1/integrations path and their own /v2 paths alike), everyone
    else's as ``Bearer``."""
    sent = dict(headers or {})
    tool = tool_of(path)
    if tool == "pagerduty" and isinstance(body, dict):
        body = {**body, "routing_key": key} if key else body
    elif key and tool == "opsgenie":
        sent["Authorization"] = f"GenieKey {key}"
    elif key:
        sent["Authorization"] = f"Bearer {key}"
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    if body is not None:
        sent["Content-Type"] = content_type
    return client.http.request(method, path, headers=sent, body=raw)


def tool_of(path: str) -> str | None:
    """The integration (pagerduty, opsgenie) whose declared path ``path`` is, if any."""
    path = path.partition("?")[0]
    for name in ("pagerduty", "opsgenie"):
        for declared in INTEGRATIONS[name].paths:
            if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(declared)), path):
                return name
    return None


def concrete(path: str) -> str:
    """A route's path with plausible parameters."""
    values = {"event_id": EVENT_ID, "incident_id": INCIDENT_ID, "plan_id": "data-breach"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "c-ada"), path)


def any_body(method: str, path: str) -> tuple[Any, str]:
    if method not in ("POST", "PUT"):
        return None, "application/json"
    if path == "/v1/integrations/cap":
        return (EVENTS / "cap-earthquake-alert.xml").read_bytes(), "application/xml"
    return {}, "application/json"


# --- who may call which path ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/openapi.json", 200),
        ("GET", "/a/x", 404),
        ("POST", "/a/x", 404),
        ("GET", "/v1/calendars/x", 404),
    ],
)
def test_the_public_routes_answer_without_a_key(
    client: Client, method: str, path: str, status: int
) -> None:
    """With the next test, this holds PUBLIC to exactly the routes that need no key."""
    form = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    answer = client.http.request(method, path, headers=form, body=b"answer=ack")
    assert answer.status_code == status
    assert {(m, p) for m, p in PUBLIC} <= set(ROUTES)


@pytest.mark.parametrize(("method", "path"), CONSOLE, ids=[f"{m} {p}" for m, p in CONSOLE])
def test_every_console_route_refuses_a_caller_without_a_session(
    client: Client, world: boto3.Session, settings: Settings, method: str, path: str
) -> None:
    """A page sends to the sign-in form (303); a form is refused (401); signing in with no key
    is refused; a key in the Authorization header is no session."""
    form = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    headers = {**form, "Authorization": f"Bearer {LOCAL_KEY}"}
    body = b"csrf=x" if method == "POST" else b""
    answer = client.http.request(method, concrete(path), headers=headers, body=body)
    expected = SIGN_IN.get((method, path), 303 if method == "GET" else 401)
    assert answer.status_code == expected, (method, path, answer.body)
    if expected == 303:
        assert answer.headers["Location"].startswith("/console/signin?next=")
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert nothing_was_accepted(world, settings)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_every_route_but_the_public_ones_refuses_a_caller_without_a_key(
    client: Client, world: boto3.Session, settings: Settings, method: str, path: str
) -> None:
    body, media = any_body(method, path)
    answer = call(client, method, concrete(path), None, body, media)
    assert answer.status_code == 401, (method, path, answer.body)
    assert nothing_was_accepted(world, settings)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_an_integration_bound_key_is_refused_on_every_path_outside_its_integrations(
    client: Client,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
    method: str,
    path: str,
) -> None:
    """A Grafana key has every scope, yet only Grafana's paths: POST /v1/events included."""
    grafana = make_key("grafana", set(Scope), integrations=frozenset({"grafana"}))
    if path in INTEGRATIONS["grafana"].paths:
        answer = call(client, method, path, grafana, load_event("grafana-unified.json"))
        assert answer.status_code == 202, answer.json_body
        return
    body, media = any_body(method, path)
    answer = call(client, method, concrete(path), grafana, body, media)
    assert answer.status_code == 403, (method, path, answer.body)
    message = json.dumps(answer.json_body)
    assert "bound to grafana" in message and path in message
    assert nothing_was_accepted(world, settings)


def test_every_declared_integration_path_is_a_route_and_every_integration_route_is_declared() -> (
    None
):
    declared = [p for integration in INTEGRATIONS.values() for p in integration.paths]
    assert len(declared) == len(set(declared)), "a path belongs to one integration"
    routes = {path for _, path in ROUTES}
    assert set(declared) <= routes
    assert {p for p in routes if p.startswith("/v1/integrations/")} <= set(declared)


def test_a_key_bound_to_two_integrations_may_call_both_and_nothing_else(
    client: Client, make_key: Any
) -> None:
    key = make_key(
        "two-tools", {Scope.TRIGGER}, integrations=frozenset({"grafana", "alertmanager"})
    )
    for path, payload in (
        ("/v1/integrations/grafana", "grafana-unified.json"),
        ("/v1/integrations/alertmanager", "alertmanager-firing.json"),
    ):
        assert call(client, "POST", path, key, load_event(payload)).status_code == 202
    refused = call(client, "POST", "/v1/events", key, DEMO)
    assert refused.status_code == 403
    assert "alertmanager, grafana" in refused.json_body["error"]["message"]


# --- event types --------------------------------------------------------------------------------


def firing(*types: str) -> dict[str, Any]:
    """An Alertmanager group with one alert of each ``tocsin_type``."""
    return {
        "status": "firing",
        "receiver": "tocsin",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": f"A{index}", "severity": "critical", "tocsin_type": kind},
                "fingerprint": f"{index:016x}",
            }
            for index, kind in enumerate(types)
        ],
    }


@pytest.mark.parametrize(
    ("types", "refused"),
    [
        (("cyber.data_breach",), "cyber.data_breach"),
        (("it.outage", "cyber.data_breach"), "cyber.data_breach"),  # one refuses the group
        (("it",), "it"),  # the family's prefix is not in the family
        (("itx.outage",), "itx.outage"),
    ],
    ids=["another family", "mixed group", "bare prefix", "look-alike family"],
)
def test_an_alert_cannot_pick_a_type_outside_its_keys_allow_list(
    client: Client,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
    types: tuple[str, ...],
    refused: str,
) -> None:
    key = make_key(
        "prometheus",
        {Scope.TRIGGER},
        integrations=frozenset({"alertmanager"}),
        event_type="it.alert",
        allowed_types=("it.*",),
    )
    answer = call(client, "POST", "/v1/integrations/alertmanager", key, firing(*types))
    assert answer.status_code == 403
    assert answer.json_body["error"]["message"] == (
        f"the key 'prometheus' may not send or answer events of type {refused!r}; "
        "it is allowed it.*"
    )
    assert nothing_was_accepted(world, settings)


def test_types_inside_the_allow_list_are_accepted(client: Client, make_key: Any) -> None:
    key = make_key(
        "prometheus", {Scope.TRIGGER}, event_type="it.alert", allowed_types=("it.*", "safety.fire")
    )
    group = firing("it.outage", "it.db.down", "safety.fire")
    assert call(client, "POST", "/v1/integrations/alertmanager", key, group).status_code == 202
    native = {**DEMO, "type": "it.outage"}
    assert call(client, "POST", "/v1/events", key, native).status_code == 202
    assert call(client, "POST", "/v1/events", key, DEMO).status_code == 403


def test_a_type_limited_key_cannot_answer_an_incident_of_another_type(
    client: Client, api: Api, runner: QueueRunner, make_key: Any
) -> None:
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    it_only = make_key("it-ops", {Scope.RESOLVE}, allowed_types=("it.*",))
    for verb in ("acknowledge", "resolve"):
        answer = call(client, "POST", f"/v1/incidents/{incident_id}/{verb}", it_only)
        assert answer.status_code == 403
        assert "'cyber.data_breach'" in answer.json_body["error"]["message"]
    assert api.get(f"/v1/incidents/{incident_id}").json_body["status"] == "open"


# --- dedup namespaces ---------------------------------------------------------------------------


def open_demo_incident(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def test_another_key_cannot_acknowledge_or_resolve_an_incident_by_its_dedup_key(
    client: Client,
    api: Api,
    runner: QueueRunner,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    """The reproduction: a monitoring tool's key closed the demo's data-breach incident."""
    incident_id = open_demo_incident(api, runner)
    pagerduty = make_key("pagerduty", {Scope.RESOLVE}, integrations=frozenset({"pagerduty"}))
    general = make_key("ops-tool", {Scope.RESOLVE})
    attempts = [
        call(
            client,
            "POST",
            "/v1/integrations/pagerduty",
            pagerduty,
            {"event_action": action, "dedup_key": DEMO["dedup_key"]},
        )
        for action in ("acknowledge", "resolve")
    ] + [
        call(
            client,
            "POST",
            "/v1/events",
            general,
            {**DEMO, "action": action, "severity": "info"},
        )
        for action in ("acknowledge", "resolve")
    ]
    assert [a.status_code for a in attempts] == [202] * 4  # accepted, then decided
    runner.drain()
    event_ids = [a.json_body["event_id"] for a in attempts[2:]]
    event_ids += [
        item["event_id"]["S"]
        for item in world.client("dynamodb").scan(
            TableName=settings.incidents_table,
            FilterExpression="#f = :pd",
            ExpressionAttributeNames={"#f": "format"},
            ExpressionAttributeValues={":pd": {"S": "pagerduty"}},
        )["Items"]
    ]
    assert len(event_ids) == 4
    for event_id in event_ids:
        decision = api.get(f"/v1/events/{event_id}").json_body
        assert (decision["status"], decision["code"]) == ("suppressed", "no_open_incident")
        assert decision["incident_id"] is None
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "open"
    assert not [e for e in incident["timeline"] if e["kind"] in ("acknowledged", "resolved")]


def test_the_key_that_opened_an_incident_and_its_successor_with_the_same_source_reach_it(
    client: Client, api: Api, runner: QueueRunner, make_key: Any
) -> None:
    old = make_key("soc-2026a", {Scope.TRIGGER, Scope.RESOLVE}, source="soc.example.com")
    new = make_key("soc-2026b", {Scope.TRIGGER, Scope.RESOLVE}, source="soc.example.com")
    opened = call(client, "POST", "/v1/events", old, DEMO).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{opened}").json_body["incident_id"]
    again = call(client, "POST", "/v1/events", new, DEMO).json_body["event_id"]
    runner.drain()
    joined = api.get(f"/v1/events/{again}").json_body
    assert (joined["status"], joined["incident_id"]) == ("updated", incident_id)
    resolve = {**DEMO, "action": "resolve", "severity": "info"}
    resolved = call(client, "POST", "/v1/events", new, resolve).json_body["event_id"]
    runner.drain()
    assert api.get(f"/v1/events/{resolved}").json_body["status"] == "resolved"
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert (incident["status"], incident["dedup_namespace"]) == (
        "resolved",
        "source:soc.example.com",
    )


def test_the_same_dedup_key_from_another_namespace_opens_its_own_incident(
    client: Client, api: Api, runner: QueueRunner, make_key: Any
) -> None:
    first = open_demo_incident(api, runner)
    other = make_key("partner-soc", {Scope.TRIGGER})
    event_id = call(client, "POST", "/v1/events", other, DEMO).json_body["event_id"]
    runner.drain()
    decision = api.get(f"/v1/events/{event_id}").json_body
    assert decision["status"] == "activated" and decision["incident_id"] != first
    second = api.get(f"/v1/incidents/{decision['incident_id']}").json_body
    assert (second["dedup_key"], second["dedup_namespace"]) == (
        DEMO["dedup_key"],
        "key:partner-soc",
    )


# --- rate in events -----------------------------------------------------------------------------


def test_the_rate_limit_counts_events_not_requests(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    key = make_key("chatty", {Scope.TRIGGER}, rate_per_minute=3)
    path = "/v1/integrations/alertmanager"
    assert call(client, "POST", path, key, firing("it.a", "it.b")).status_code == 202
    over = call(client, "POST", path, key, firing("it.c", "it.d"))  # 4 events > 3
    assert over.status_code == 429
    assert over.json_body["error"]["message"] == (
        "the key 'chatty' may send 3 events a minute (a request without events counts one)"
    )
    assert int(over.headers["Retry-After"]) >= 1
    events = world.client("dynamodb").scan(
        TableName=settings.incidents_table,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "EVENT#"}},
    )
    assert events["Count"] == 2  # the first request's two, nothing of the refused one


def test_a_request_without_events_counts_one_against_the_same_rate(
    client: Client, make_key: Any
) -> None:
    key = make_key("reader", {Scope.TRIGGER, Scope.READ}, rate_per_minute=3)
    posted = call(client, "POST", "/v1/integrations/alertmanager", key, firing("it.a", "it.b"))
    [event_id, _] = posted.json_body["event_ids"]
    answers = [call(client, "GET", f"/v1/events/{event_id}", key) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]


def test_one_post_carrying_more_events_than_a_minute_allows_is_refused_whole(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    """The reproduction: one 256 KiB Alertmanager post carried 1,650 events."""
    key = make_key("prometheus", {Scope.TRIGGER})  # the default rate, 600 a minute
    flood = firing(*["it.outage"] * 1650)
    assert len(json.dumps(flood)) < 256 * 1024
    answer = call(client, "POST", "/v1/integrations/alertmanager", key, flood)
    assert answer.status_code == 413
    assert answer.json_body["error"]["message"].startswith(
        "this request carries 1650 events; the key 'prometheus' may send 600 a minute"
    )
    assert nothing_was_accepted(world, settings)


# --- signatures bound to one request -------------------------------------------------------------


def signed_headers(
    secret: str,
    method: str,
    path: str,
    body: bytes = b"",
    query: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    timestamp = str(int(datetime.now(UTC).timestamp()))
    request = SignedRequest(method, path, query or {}, body)
    return {
        "X-Tocsin-Timestamp": timestamp,
        "X-Tocsin-Signature": signature(secret, timestamp, request),
    }


def test_a_signed_get_with_a_query_is_accepted(client: Client, make_key: Any) -> None:
    key = make_key("auditor", {Scope.READ}, signing_secrets=("the-secret",))
    query = {"to": ["2026-12-02T00:00:00+00:00"], "from": ["2026-12-01T00:00:00+00:00"]}
    headers = {
        "Authorization": f"Bearer {key}",
        **signed_headers("the-secret", "GET", "/v1/oncall/it-duty", query=query),
    }
    answer = client.http.get(
        "/v1/oncall/it-duty?from=2026-12-01T00%3A00%3A00%2B00%3A00&to=2026-12-02T00%3A00%3A00%2B00%3A00",
        headers=headers,
    )
    assert answer.status_code == 200, answer.json_body


@pytest.mark.parametrize(
    ("signed_for", "sent_to"),
    [
        (("GET", f"/v1/events/{EVENT_ID}", None), ("GET", f"/v1/incidents/{INCIDENT_ID}")),
        (
            ("GET", f"/v1/events/{EVENT_ID}", None),
            ("GET", "/v1/events/evt_01M84STVCFS7F5J06PS8A3D6CB"),
        ),
        (
            ("GET", "/v1/oncall/it-duty", {"from": ["2026-12-01T00:00:00Z"]}),
            ("GET", "/v1/oncall/it-duty?from=2026-12-24T00:00:00Z"),
        ),
        (
            ("GET", "/v1/oncall/it-duty", None),
            ("GET", "/v1/oncall/it-duty?from=2026-12-24T00:00:00Z"),
        ),
        (("DELETE", "/v1/oncall/it-duty/overrides/ovr_1", None), ("GET", "/v1/oncall/it-duty")),
    ],
    ids=["another path", "another id", "another query", "a query added", "another method"],
)
def test_an_unused_signature_is_valid_only_for_the_request_it_was_made_for(
    client: Client, make_key: Any, signed_for: tuple[str, str, Any], sent_to: tuple[str, str]
) -> None:
    key = make_key("reader", {Scope.READ, Scope.ONCALL}, signing_secrets=("the-secret",))
    method, path, query = signed_for
    headers = {
        "Authorization": f"Bearer {key}",
        **signed_headers("the-secret", method, path, query=query),
    }
    answer = client.http.request(sent_to[0], sent_to[1], headers=headers, body=b"")
    assert answer.status_code == 401
    assert answer.json_body["error"]["message"] == "the request signature does not match"


def test_a_signature_over_only_timestamp_and_body_is_refused_saying_what_to_sign(
    client: Client, make_key: Any, world: boto3.Session, settings: Settings
) -> None:
    import hashlib
    import hmac

    key = make_key("old-client", {Scope.TRIGGER}, signing_secrets=("the-secret",))
    body = json.dumps(DEMO).encode()
    timestamp = str(int(datetime.now(UTC).timestamp()))
    old = hmac.new(b"the-secret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-Tocsin-Timestamp": timestamp,
        "X-Tocsin-Signature": f"sha256={old}",
    }
    answer = client.http.post("/v1/events", headers=headers, body=body)
    assert answer.status_code == 401
    assert "covers only the timestamp and body" in answer.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)


# --- no credential stored or returned -----------------------------------------------------------


def everything_stored(world: boto3.Session, settings: Settings) -> str:
    """Every item of every table, as text."""
    dynamodb = world.client("dynamodb")
    items = [
        item
        for table in (settings.config_table, settings.contacts_table, settings.incidents_table)
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    ]
    return json.dumps(items)


def everything_queued(world: boto3.Session, settings: Settings) -> str:
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return json.dumps([m["Body"] for m in messages.get("Messages", [])])


def test_no_credential_is_stored_or_returned(
    client: Client,
    api: Api,
    runner: QueueRunner,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    pagerduty = make_key(
        "pd",
        {Scope.TRIGGER, Scope.RESOLVE},
        integrations=frozenset({"pagerduty"}),
        event_type="it.outage",
    )
    opsgenie = make_key("og", {Scope.TRIGGER}, integrations=frozenset({"opsgenie"}))
    legacy = "legacy-v1-service-key-0001"
    trigger = load_event("pagerduty-trigger.json")
    trigger["payload"]["custom_details"] = {"p99_ms": 2400, "note": f"paged with {pagerduty}"}
    trigger["service_key"] = legacy
    answers = [
        call(client, "POST", "/v1/integrations/pagerduty", pagerduty, trigger),
        call(
            client,
            "POST",
            "/v1/integrations/opsgenie",
            opsgenie,
            {**load_event("opsgenie-create.json"), "apiKey": opsgenie},
        ),
    ]
    assert [a.status_code for a in answers] == [202, 202]
    queued = everything_queued(world, settings)
    runner.drain()
    for name in ("pagerduty-acknowledge.json", "pagerduty-resolve.json"):
        answer = call(client, "POST", "/v1/integrations/pagerduty", pagerduty, load_event(name))
        assert answer.status_code == 202
        queued += everything_queued(world, settings)
        runner.drain()

    event_ids = [
        item["event_id"]["S"]
        for item in world.client("dynamodb").scan(
            TableName=settings.incidents_table,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": "EVENT#"}},
        )["Items"]
    ]
    read = [api.get(f"/v1/events/{event_id}").json_body for event_id in event_ids]
    incident_ids = {answer["incident_id"] for answer in read if answer["incident_id"]}
    read += [api.get(f"/v1/incidents/{incident_id}").json_body for incident_id in incident_ids]
    assert len(event_ids) == 4 and incident_ids

    stored = everything_stored(world, settings)
    returned = json.dumps(read)
    for secret in (pagerduty, pagerduty[4:], opsgenie, opsgenie[4:], legacy):
        for where, text in (("stored", stored), ("queued", queued), ("returned", returned)):
            assert secret not in text, f"a credential was {where}"
    originals = [
        entry["data"]["original"]
        for answer in read
        for entry in answer.get("timeline", [])
        if "original" in entry.get("data", {})
    ]
    assert {"routing_key": "<secret>", "service_key": "<secret>"}.items() <= originals[0].items()
    assert "paged with <secret>" in json.dumps(originals)


def test_no_credential_is_stored_or_returned_on_the_drop_in_paths(
    client: Client,
    api: Api,
    runner: QueueRunner,
    make_key: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    """PagerDuty's and Opsgenie's own /v2 paths keep what they store (events, alerts, notes,
    change events) without the key, anywhere, or the tool's credential fields."""
    scopes = {Scope.TRIGGER, Scope.RESOLVE, Scope.READ}
    pagerduty = make_key("pd", scopes, integrations=frozenset({"pagerduty"}))
    opsgenie = make_key("og", scopes, integrations=frozenset({"opsgenie"}))
    legacy = "legacy-v1-service-key-0002"
    trigger = load_event("pagerduty-trigger.json")
    trigger["payload"]["custom_details"] = {"note": f"paged with {pagerduty}"}
    trigger["service_key"] = legacy
    change = {
        "payload": {"summary": "deploy", "custom_details": {"by": f"ci with {pagerduty}"}},
        "service_key": legacy,
    }
    alert = {
        **load_event("opsgenie-create.json"),
        "alias": "db-1/disk",
        "apiKey": opsgenie,
        "note": f"opened with {opsgenie}",
        "details": {"where": f"GenieKey {opsgenie}"},
    }
    answers = [
        call(client, "POST", "/v2/enqueue", pagerduty, trigger),
        call(client, "POST", "/v2/change/enqueue", pagerduty, change),
        call(client, "POST", "/v2/alerts", opsgenie, alert),
    ]
    assert [a.status_code for a in answers] == [202, 202, 202], [a.json_body for a in answers]
    queued = everything_queued(world, settings)
    runner.drain()
    closing = "/v2/alerts/db-1%2Fdisk/{}?identifierType=alias"
    for verb, body in (("notes", {"note": f"still {opsgenie}"}), ("close", {"apiKey": legacy})):
        answer = call(client, "POST", closing.format(verb), opsgenie, body)
        assert answer.status_code == 202, answer.json_body
        queued += everything_queued(world, settings)
        runner.drain()
    read = [
        call(client, "GET", "/v2/alerts/db-1%2Fdisk?identifierType=alias", opsgenie).json_body,
        call(client, "GET", "/v2/alerts", opsgenie).json_body,
    ]
    stored = everything_stored(world, settings)
    returned = json.dumps(read)
    for secret in (pagerduty, pagerduty[4:], opsgenie, opsgenie[4:], legacy):
        for where, text in (("stored", stored), ("queued", queued), ("returned", returned)):
            assert secret not in text, f"a credential was {where}"


# --- CAP through the route ------------------------------------------------------------------------


def test_a_utf16_billion_laughs_is_refused_and_a_utf16_alert_is_read(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    from tests.unit.test_cap_xml import BILLION_LAUGHS

    bomb = codecs.BOM_UTF16_LE + BILLION_LAUGHS.replace("UTF-8", "UTF-16").encode("utf-16-le")
    refused = call(client, "POST", "/v1/integrations/cap", LOCAL_KEY, bomb, "application/xml")
    assert refused.status_code == 400
    assert "document type declaration is refused" in refused.json_body["error"]["message"]
    assert nothing_was_accepted(world, settings)

    text = (EVENTS / "cap-earthquake-alert.xml").read_text().replace("UTF-8", "UTF-16")
    text = text.replace("Example Valley site", "Example Valley 附近")
    alert = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    answer = call(client, "POST", "/v1/integrations/cap", LOCAL_KEY, alert, "application/cap+xml")
    assert answer.status_code == 202
    runner.drain()
    [event_id] = answer.json_body["event_ids"]
    decision = api.get(f"/v1/events/{event_id}").json_body
    incident = api.get(f"/v1/incidents/{decision['incident_id']}").json_body
    assert incident["title"] == "M6.1 earthquake near the Example Valley 附近"
    assert "Example Valley 附近" in incident["timeline"][0]["data"]["original"]


def test_the_documented_signing_recipe_is_accepted(
    client: Client, make_key: Any, tmp_path: Any
) -> None:
    """The shell recipe in docs/INTEGRATIONS.md, run as written, signs a request Tocsin takes."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:  # pragma: no cover - Debian and CI have it
        pytest.fail("openssl is needed to run the documented recipe")
    text = (PROJECT / "docs" / "INTEGRATIONS.md").read_text()
    marker = (
        "<!-- tested by tests/e2e/test_callers.py::"
        + "test_the_documented_signing_recipe_is_accepted -->"
    )
    recipe = text.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    key = make_key("signed", {Scope.TRIGGER}, signing_secrets=("tss_documented-secret-0001",))
    body = json.dumps(DEMO, indent=2).encode() + b"\n"
    (tmp_path / "event.json").write_bytes(body)
    script = recipe + 'printf "%s %s" "$TIMESTAMP" "$SIGNATURE"\n'
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={"SECRET": "tss_documented-secret-0001", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    timestamp, sig = done.stdout.split()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-Tocsin-Timestamp": timestamp,
        "X-Tocsin-Signature": f"sha256={sig}",
    }
    answer = client.http.post("/v1/events", headers=headers, body=body)
    assert answer.status_code == 202, answer.json_body


def test_an_incident_opened_before_namespaces_is_reached_only_by_hand(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    """What docs/INTEGRATIONS.md says of an upgrade: nothing stored is changed; an incident
    opened with a bare dedup key is no event's any more, and resolving it by hand works."""
    from chalicelib.core.events import parse_event
    from chalicelib.core.ids import new_event_id
    from chalicelib.core.model import ReceivedEvent
    from chalicelib.core.queue_messages import encode_received

    now = datetime.now(UTC)
    before = ReceivedEvent(new_event_id(now), now, parse_event(DEMO))  # no namespace: old code
    message = json.loads(encode_received(before))
    del message["namespace"]  # as the previous version queued it
    wiring.container().events.record_received(before)  # as its API recorded it
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
    runner.drain()
    legacy = api.get(f"/v1/events/{before.event_id}").json_body["incident_id"]
    assert api.get(f"/v1/incidents/{legacy}").json_body["dedup_namespace"] is None

    resolve = {**DEMO, "action": "resolve", "severity": "info"}
    refused = api.post_event(resolve).json_body["event_id"]
    runner.drain()
    assert api.get(f"/v1/events/{refused}").json_body["code"] == "no_open_incident"
    answer = call(client, "POST", f"/v1/incidents/{legacy}/resolve", LOCAL_KEY)
    assert answer.status_code == 200, answer.json_body
    assert api.get(f"/v1/incidents/{legacy}").json_body["status"] == "resolved"
    pointers = world.client("dynamodb").scan(
        TableName=settings.incidents_table,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "DEDUP#"}},
    )
    assert pointers["Count"] == 0  # the bare pointer was freed with it
