"""PagerDuty's and Opsgenie's own Python clients against the running local stack, changing only
the host: ``pagerduty.EventsApiV2Client`` (which insists on https://) and ``opsgenie-sdk``'s
``AlertApi`` and ``HeartbeatApi`` with GenieKey auth, both through a TLS proxy whose throwaway
certificate authority only they trust. Nothing in either client is patched."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import boto3
import opsgenie_sdk
import pagerduty
import pytest
from opsgenie_sdk.exceptions import ApiException, RetryableException

from chalicelib.core.access import ApiKey, Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from local.stack import LocalStack, free_port
from tests.conftest import LOCAL_KEY
from tests.tls_proxy import TlsProxy

pytestmark = pytest.mark.stack
T = TypeVar("T")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


@pytest.fixture(scope="module")
def proxy(stack: LocalStack) -> Iterator[TlsProxy]:
    with TlsProxy(stack.api_port) as running:
        yield running


@pytest.fixture(scope="module")
def monitor_key(stack: LocalStack) -> str:
    """A key as `tocsin keys create monitor --scope trigger --scope resolve --scope read
    --heartbeat nightly-backup`."""
    settings = Settings.from_environment(stack.environment())
    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    store = DynamoApiKeyStore(
        session.client("dynamodb", endpoint_url=stack.aws_url), settings.config_table
    )
    key = generate_api_key()
    scopes = frozenset({Scope.TRIGGER, Scope.RESOLVE, Scope.READ})
    beats = frozenset({"nightly-backup"})  # policies/watching.yaml declares it
    store.add(key, ApiKey("monitor", scopes, heartbeats=beats), datetime.now(UTC))
    return key


def tocsin(stack: LocalStack, path: str) -> Any:
    """Tocsin's own API, to see what the clients' calls did."""
    request = urllib.request.Request(
        f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {LOCAL_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def eventually(check: Callable[[], T | None], seconds: float = 30) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds:.0f}s")


def incident_status(stack: LocalStack, event_id: str) -> tuple[str, str] | None:
    decision = tocsin(stack, f"/v1/events/{event_id}")
    if decision["incident_id"] is None:
        return None
    incident = tocsin(stack, f"/v1/incidents/{decision['incident_id']}")
    return incident["incident_id"], incident["status"]


def test_pagerdutys_events_client_triggers_acknowledges_and_resolves(
    stack: LocalStack, proxy: TlsProxy, monitor_key: str
) -> None:
    with pagerduty.EventsApiV2Client(
        monitor_key, base_url=proxy.url, verify=proxy.client_context()
    ) as events:
        pagerduty_lifecycle(stack, events, monitor_key)


def pagerduty_lifecycle(
    stack: LocalStack, events: pagerduty.EventsApiV2Client, monitor_key: str
) -> None:
    dedup_key = events.trigger(
        "Payments API p99 latency above 2 s",
        "api-gw.example.com",
        dedup_key="payments/api-latency",
        severity="error",
        custom_details={"p99_ms": 2400},
        links=[{"href": "https://monitor.example.com/checks/17", "text": "Check"}],
    )
    assert dedup_key == "payments/api-latency"
    response = events.post(
        "/v2/enqueue",
        json={"event_action": "trigger", "dedup_key": dedup_key, "payload": {
            "summary": "Payments API p99 latency above 2 s", "source": "api-gw.example.com",
            "severity": "error"}},
    )  # fmt: skip
    event_id = response.json()["event_id"]  # the same alert again: counted on one incident
    incident_id, status = eventually(lambda: incident_status(stack, event_id))
    assert status == "open"
    events.submit(
        "Deployed payments-api 2.3",
        source="deploy-bot",
        custom_details={"commit": "4f2a9c1"},
        timestamp="2026-11-23T03:01:00+00:00",
    )
    assert events.acknowledge(dedup_key) == dedup_key
    assert events.resolve(dedup_key) == dedup_key
    timeline = eventually(
        lambda: (
            found["timeline"]
            if (found := tocsin(stack, f"/v1/incidents/{incident_id}"))["status"] == "resolved"
            else None
        )
    )
    kinds = [entry["kind"] for entry in timeline]
    # A tool's acknowledge is recorded but counts for nobody (issue 19): it does not stop paging.
    assert {"activated", "change", "not_counted", "resolved"} <= set(kinds)
    assert monitor_key not in json.dumps(timeline)


def test_pagerdutys_client_hears_an_unknown_routing_key_as_pagerduty_says_it(
    proxy: TlsProxy,
) -> None:
    with (
        pagerduty.EventsApiV2Client(
            "not-a-tocsin-key", base_url=proxy.url, verify=proxy.client_context()
        ) as events,
        pytest.raises(pagerduty.HttpError) as refused,
    ):
        events.trigger("Disk full", "db-1.example.com")
    assert refused.value.response.status_code == 400
    body = refused.value.response.json()
    assert body["status"] == "invalid event"
    assert body["errors"][0].startswith("routing_key: Invalid routing key")


def test_a_client_that_does_not_trust_the_throwaway_authority_cannot_connect(
    proxy: TlsProxy, monitor_key: str
) -> None:
    with pagerduty.EventsApiV2Client(monitor_key, base_url=proxy.url) as events:
        events.max_network_attempts = 0
        with pytest.raises(pagerduty.Error):
            events.trigger("Disk full", "db-1.example.com")


@contextmanager
def opsgenie(proxy: TlsProxy, key: str) -> Iterator[opsgenie_sdk.ApiClient]:
    configuration = opsgenie_sdk.Configuration()
    configuration.host = proxy.url  # the only change from talking to Opsgenie
    configuration.api_key["Authorization"] = key
    configuration.ssl_ca_cert = proxy.ca_file
    configuration.retry_enabled = False
    client = opsgenie_sdk.ApiClient(configuration=configuration)
    try:
        yield client
    finally:
        client.rest_client.pool_manager.clear()  # the SDK never closes its connections


def processed(alerts: opsgenie_sdk.AlertApi, request_id: str) -> Any:
    def status() -> Any:
        try:
            return alerts.get_request_status(request_id=request_id).data
        except ApiException as not_yet:
            assert not_yet.status == 404
            return None

    return eventually(status)


def test_opsgenies_sdk_creates_acknowledges_notes_and_closes_by_alias(
    stack: LocalStack, proxy: TlsProxy, monitor_key: str
) -> None:
    with opsgenie(proxy, monitor_key) as client:
        opsgenie_lifecycle(stack, opsgenie_sdk.AlertApi(api_client=client))


def opsgenie_lifecycle(stack: LocalStack, alerts: opsgenie_sdk.AlertApi) -> None:
    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(
            message="Warehouse conveyor stopped",
            alias="warehouse-7/conveyor",
            description="Conveyor line 3 stopped; orders are not shipping",
            responders=[opsgenie_sdk.TeamRecipient(name="NOC")],
            tags=["warehouse"],
            details={"site": "warehouse-7"},
            entity="conveyor-3",
            source="plant-monitor",
            priority="P1",
            note="Paged from the plant",
        )
    )
    assert created.result == "Request will be processed"
    status = processed(alerts, created.request_id)
    assert (status.is_success, status.status, status.alias) == (
        True,
        "Created alert",
        "warehouse-7/conveyor",
    )
    alert = alerts.get_alert(identifier="warehouse-7/conveyor", identifier_type="alias").data
    assert (alert.id, alert.priority, alert.status) == (status.alert_id, "P1", "open")
    assert alert.details == {"site": "warehouse-7"}

    alerts.acknowledge_alert(
        identifier="warehouse-7/conveyor",
        identifier_type="alias",
        acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(
            user="Jesse", note="On my way"
        ),
    )
    alerts.add_note(
        identifier=alert.id,
        add_note_to_alert_payload=opsgenie_sdk.AddNoteToAlertPayload(
            user="Jesse", note="Belt replaced"
        ),
    )
    closing = alerts.close_alert(
        identifier=alert.tiny_id,
        identifier_type="tiny",
        close_alert_payload=opsgenie_sdk.CloseAlertPayload(user="Jesse", note="Shipping again"),
    )
    assert processed(alerts, closing.request_id).status == "Closed alert"
    closed = alerts.list_alerts(query="status:closed AND alias:warehouse-7/conveyor").data
    assert [(found.id, found.acknowledged) for found in closed] == [(alert.id, True)]
    assert closed[0].report.acknowledged_by == "Jesse"

    opened = tocsin(stack, f"/v1/events/{created.request_id}")
    incident = tocsin(stack, f"/v1/incidents/{opened['incident_id']}")
    assert incident["status"] == "resolved"
    notes = [e["summary"] for e in incident["timeline"] if e["kind"] == "note"]
    assert "note from Jesse: Belt replaced" in notes


def test_opsgenies_sdk_hears_bad_requests_in_opsgenies_words(
    proxy: TlsProxy, monitor_key: str
) -> None:
    with opsgenie(proxy, monitor_key) as client:
        alerts = opsgenie_sdk.AlertApi(api_client=client)
        with pytest.raises(RetryableException) as unknown_type:
            alerts.close_alert(identifier="anything", identifier_type="name")
        with pytest.raises(RetryableException) as nothing:
            alerts.acknowledge_alert(identifier="no-such-alias", identifier_type="alias")
    with (
        opsgenie(proxy, "not-a-tocsin-key") as wrong,
        pytest.raises(RetryableException) as refused,
    ):
        opsgenie_sdk.AlertApi(api_client=wrong).create_alert(
            create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="Disk full")
        )
    answers = [
        (caught.value.status, json.loads(caught.value.body)["message"])
        for caught in (unknown_type, nothing, refused)
    ]
    assert answers == [
        (422, "identifierType: must be id, alias or tiny, not 'name'"),
        (404, "Alert does not exist: no alert with alias 'no-such-alias'"),
        (401, "the API key is not valid"),
    ]


def test_opsgenies_heartbeat_ping_is_answered_pong(proxy: TlsProxy, monitor_key: str) -> None:
    with opsgenie(proxy, monitor_key) as client:
        answer = opsgenie_sdk.HeartbeatApi(api_client=client).ping("nightly-backup")
    assert answer.result == "PONG - Heartbeat received"
