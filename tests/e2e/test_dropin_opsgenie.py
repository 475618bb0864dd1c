"""Opsgenie's Alert API at its own paths through the app and its queue handlers: the alert
lifecycle by id, alias and tiny id, request status, the query subset, heartbeat pings (issue
#24's), and every bad request answered in Opsgenie's envelope with nothing queued."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from chalicelib.core.model import scope_dedup_key
from chalicelib.settings import Settings
from chalicelib.storage.heartbeats import DynamoHeartbeatStore
from chalicelib.storage.incidents import DynamoIncidentStore
from local.runner import QueueRunner
from tests.conftest import SHARED_SAMPLES
from tests.e2e.conftest import Api
from tests.e2e.test_bad_input import nothing_was_accepted
from tests.e2e.test_integrations import post

ALL = {Scope.TRIGGER, Scope.RESOLVE, Scope.READ}


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


def sample() -> dict[str, Any]:
    """Opsgenie's documented create-alert body (responders that exist nowhere in Tocsin)."""
    return dict(json.loads((SHARED_SAMPLES / "opsgenie-create-alert.json").read_text()))


def get(client: Client, path: str, key: str) -> Any:
    return client.http.get(path, headers=genie(key))


def ingest_queue_depth(world: boto3.Session, settings: Settings) -> str:
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return str(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_an_alert_lives_its_whole_life_by_alias_id_and_tiny_id(
    client: Client,
    api: Api,
    runner: QueueRunner,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
) -> None:
    key = key_maker("airflow", ALL)
    created = post(client, "/v2/alerts", sample(), genie(key))
    assert created.status_code == 202
    assert created.json_body["result"] == "Request will be processed"
    request_id = created.json_body["requestId"]
    assert isinstance(created.json_body["took"], float)
    not_yet = get(client, f"/v2/alerts/requests/{request_id}", key)
    assert not_yet.status_code == 404  # as Opsgenie answers until a request is processed
    assert "not be processed, yet" in not_yet.json_body["message"]
    runner.drain()
    status = get(client, f"/v2/alerts/requests/{request_id}", key).json_body["data"]
    assert (status["isSuccess"], status["action"], status["status"]) == (
        True,
        "Create",
        "Created alert",
    )
    assert status["alias"] == "Life is too short for no alias"
    # P1 is critical: the playbook pages the duty officer, whatever the responders said.
    assert status["tocsin"]["decision"] == "activated"
    assert status["tocsin"]["reason"] == "matched rule monitoring-alert-page"
    incident_id = status["tocsin"]["incidentId"]

    by_id = get(client, f"/v2/alerts/{status['alertId']}", key).json_body["data"]
    by_alias = get(
        client, "/v2/alerts/Life%20is%20too%20short%20for%20no%20alias?identifierType=alias", key
    ).json_body["data"]
    by_tiny = get(client, f"/v2/alerts/{by_id['tinyId']}?identifierType=tiny", key).json_body[
        "data"
    ]
    assert by_id == by_alias == by_tiny
    assert (by_id["status"], by_id["acknowledged"], by_id["priority"]) == ("open", False, "P1")
    assert by_id["details"] == {"key1": "value1", "key2": "value2"}
    assert by_id["tags"] == ["OverwriteQuietHours", "Critical"]
    assert by_id["responders"] == [
        {"type": "team", "id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c"},
        {"type": "user", "id": "bb4d9938-c3c2-455d-aaab-727aa701c0d8"},
        {"type": "escalation", "id": "aee8a0de-c80f-4515-a232-501c0bc9d715"},
        {"type": "schedule", "id": "80564037-1984-4f38-b98e-8a1f662df552"},
    ]

    alias = "Life is too short for no alias"
    acknowledged = post(
        client,
        f"/v2/alerts/{alias}/acknowledge?identifierType=alias",
        {"user": "Jesse", "note": "Looking at the disks"},
        genie(key),
    )
    assert acknowledged.status_code == 202
    runner.drain()
    note = post(
        client,
        f"/v2/alerts/{by_id['id']}/notes",
        {"note": "Freed 40 GB", "user": "Jesse"},
        genie(key),
    )
    assert note.status_code == 202
    closed = client.http.post(
        f"/v2/alerts/{by_id['tinyId']}/close?identifierType=tiny", headers=genie(key)
    )
    assert closed.status_code == 202, closed.json_body
    runner.drain()

    alert = get(client, f"/v2/alerts/{by_id['id']}", key).json_body["data"]
    assert (alert["status"], alert["acknowledged"]) == ("closed", True)
    assert alert["report"]["acknowledgedBy"] == "Jesse"
    assert alert["report"]["closeTime"] >= alert["report"]["ackTime"] >= 0
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["status"] == "resolved"
    notes = [e["summary"] for e in incident["timeline"] if e["kind"] == "note"]
    assert notes == ["note from Jesse: Looking at the disks", "note from Jesse: Freed 40 GB"]
    kinds = {e["kind"] for e in incident["timeline"]}
    # A tool's acknowledge is recorded but counts for nobody (issue 19): it does not stop paging.
    assert {"not_counted", "resolved"} <= kinds
    close_status = get(
        client, f"/v2/alerts/requests/{closed.json_body['requestId']}", key
    ).json_body["data"]
    assert (close_status["status"], close_status["tocsin"]["decision"]) == (
        "Closed alert",
        "resolved",
    )
    # Closing again changes nothing and queues nothing.
    again = post(client, f"/v2/alerts/{alias}/close?identifierType=alias", {}, genie(key))
    assert again.status_code == 202
    assert ingest_queue_depth(world, settings) == "0"
    again_status = get(client, f"/v2/alerts/requests/{again.json_body['requestId']}", key)
    assert again_status.json_body["data"]["isSuccess"] is False
    assert again_status.json_body["data"]["status"] == "Alert is already closed"


def test_an_open_alias_counts_the_alert_and_joins_its_incident(
    client: Client, runner: QueueRunner, key_maker: Any, world: boto3.Session, settings: Settings
) -> None:
    key = key_maker("airflow", ALL)
    body = {"message": "Disk full on db-1", "alias": "db-1/disk", "priority": "P2"}
    first = post(client, "/v2/alerts", body, genie(key)).json_body["requestId"]
    runner.drain()
    second = post(client, "/v2/alerts", body, genie(key)).json_body["requestId"]
    runner.drain()
    one = get(client, f"/v2/alerts/requests/{first}", key).json_body["data"]
    two = get(client, f"/v2/alerts/requests/{second}", key).json_body["data"]
    assert one["alertId"] == two["alertId"]
    assert two["status"] == "Alert deduplicated"
    assert two["tocsin"]["decision"] == "updated"
    alert = get(client, "/v2/alerts/db-1%2Fdisk?identifierType=alias", key).json_body["data"]
    assert alert["count"] == 2
    # Closed, the alias is free: the next create opens a new alert; whether it opens a new
    # incident is the playbook's to say (here: not within the rule's 30-minute dedup window).
    post(client, "/v2/alerts/db-1%2Fdisk/close?identifierType=alias", {}, genie(key))
    runner.drain()
    third = post(client, "/v2/alerts", body, genie(key)).json_body["requestId"]
    runner.drain()
    fresh = get(client, f"/v2/alerts/requests/{third}", key).json_body["data"]
    assert fresh["alertId"] != one["alertId"] and fresh["status"] == "Created alert"
    assert fresh["tocsin"]["decision"] == "suppressed"
    assert "within the 30m dedup window" in fresh["tocsin"]["reason"]
    store = DynamoIncidentStore(world.client("dynamodb"), settings.incidents_table)
    assert store.find_open(scope_dedup_key("key:airflow", "opsgenie:db-1/disk")) is None


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/v2/alerts/db-1/close?identifierType=name", {}, 422, "identifierType: must be id, alias"),
        ("/v2/alerts/nothing-here/close?identifierType=alias", {}, 404, "Alert does not exist"),
        ("/v2/alerts/nothing-here/acknowledge?identifierType=alias", {}, 404, "Alert does not"),
        ("/v2/alerts/0b1e/close", {}, 404, "no alert with id '0b1e'"),
        ("/v2/alerts/999999/notes?identifierType=tiny", {"note": "x"}, 404, "Alert does not"),
        ("/v2/alerts/db-1/notes?identifierType=alias", {"user": "Jesse"}, 422, "note: is required"),
        ("/v2/alerts", {"message": ""}, 422, "message: is required"),
        ("/v2/alerts", {"message": "m", "priority": "P9"}, 422, "priority: must be one of"),
        ("/v2/alerts", {"message": "m", "alias": "a" * 513}, 422, "alias: must be at most 512"),
        ("/v2/alerts", {"message": "m", "responders": ["NOC"]}, 422, "responders[0]: must be an"),
        ("/v2/alerts", {"message": "m", "responders": [{"type": "teams"}]}, 422, "responders[0].t"),
        ("/v2/alerts", {"message": "m", "details": {"a": {"b": 1}}}, 422, "details.a"),
        ("/v2/alerts", ["not", "an", "object"], 422, "must be an object"),
    ],
)
def test_bad_requests_get_opsgenies_envelope_and_nothing_is_queued(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
    path: str,
    body: Any,
    status: int,
    words: str,
) -> None:
    key = key_maker("airflow", ALL)
    answer = post(client, path, body, genie(key))
    assert answer.status_code == status, answer.json_body
    assert words in answer.json_body["message"] or words in json.dumps(answer.json_body["errors"])
    assert isinstance(answer.json_body["took"], float) and answer.json_body["requestId"]
    assert nothing_was_accepted(world, settings)


def test_a_wrong_geniekey_is_refused_in_opsgenies_envelope_and_nothing_is_queued(
    client: Client, key_maker: Any, world: boto3.Session, settings: Settings
) -> None:
    key = key_maker("airflow", ALL)
    for headers in (
        genie("wrong"),
        {"Authorization": f"Bearer {key}"},
        {},
        {"Authorization": "GenieKey "},
    ):
        for method, path in (
            ("POST", "/v2/alerts"),
            ("POST", "/v2/alerts/x/close?identifierType=alias"),
            ("GET", "/v2/alerts"),
            ("GET", "/v2/alerts/requests/whatever"),
            ("GET", "/v2/heartbeats/nightly-backup/ping"),
        ):
            answer = client.http.request(
                method,
                path,
                body=json.dumps(sample()).encode(),
                headers={"Content-Type": "application/json", **headers},
            )
            assert answer.status_code == 401, (method, path, headers)
            assert set(answer.json_body) == {"message", "took", "requestId"}
    assert nothing_was_accepted(world, settings)


def test_scopes_decide_who_may_create_answer_and_read(
    client: Client, runner: QueueRunner, key_maker: Any, world: boto3.Session, settings: Settings
) -> None:
    creator = key_maker("creator", {Scope.TRIGGER})
    answered = post(client, "/v2/alerts", {"message": "m", "alias": "a1"}, genie(creator))
    runner.drain()
    assert answered.status_code == 202
    # The creator may read its request's status, but not close the alert or list alerts.
    status = get(client, f"/v2/alerts/requests/{answered.json_body['requestId']}", creator)
    assert status.status_code == 200
    close = post(client, "/v2/alerts/a1/close?identifierType=alias", {}, genie(creator))
    assert close.status_code == 403 and "resolve scope" in close.json_body["message"]
    note = post(client, "/v2/alerts/a1/notes?identifierType=alias", {"note": "n"}, genie(creator))
    assert note.status_code == 403
    assert get(client, "/v2/alerts", creator).status_code == 403
    assert ingest_queue_depth(world, settings) == "0"
    alert = key_maker("creator-reader", {Scope.READ}, source=None)
    assert get(client, "/v2/alerts", alert).status_code == 200


def test_another_senders_alerts_and_requests_are_not_found(
    client: Client, runner: QueueRunner, key_maker: Any
) -> None:
    mine = key_maker("mine", ALL)
    theirs = key_maker("theirs", ALL)
    request_id = post(client, "/v2/alerts", {"message": "m", "alias": "a1"}, genie(mine)).json_body[
        "requestId"
    ]
    runner.drain()
    alert_id = get(client, f"/v2/alerts/requests/{request_id}", mine).json_body["data"]["alertId"]
    for path in (
        f"/v2/alerts/{alert_id}",
        "/v2/alerts/a1?identifierType=alias",
        f"/v2/alerts/requests/{request_id}",
    ):
        assert get(client, path, theirs).status_code == 404, path
    assert get(client, "/v2/alerts", theirs).json_body["data"] == []
    # Keys with the same --source share their alerts (one tool, a rotated key).
    old = key_maker("old", ALL, source="airflow")
    new = key_maker("new", ALL, source="airflow")
    post(client, "/v2/alerts", {"message": "m", "alias": "shared"}, genie(old))
    runner.drain()
    assert get(client, "/v2/alerts/shared?identifierType=alias", new).status_code == 200


def test_listing_understands_status_alias_and_creation_ranges_and_refuses_the_rest(
    client: Client, runner: QueueRunner, key_maker: Any
) -> None:
    key = key_maker("airflow", ALL)
    before = datetime.now(UTC) - timedelta(seconds=1)
    for alias in ("a1", "a2", "a3"):
        post(client, "/v2/alerts", {"message": f"m {alias}", "alias": alias}, genie(key))
    runner.drain()
    post(client, "/v2/alerts/a2/close?identifierType=alias", {}, genie(key))
    runner.drain()

    def listed(query: str, extra: str = "") -> list[str]:
        answer = get(client, f"/v2/alerts?query={query}{extra}", key)
        assert answer.status_code == 200, answer.json_body
        return [alert["alias"] for alert in answer.json_body["data"]]

    assert listed("") == ["a3", "a2", "a1"]  # newest first
    assert listed("", "&order=asc&limit=2") == ["a1", "a2"]
    assert listed("", "&offset=2") == ["a1"]
    assert listed("status:open") == ["a3", "a1"]
    assert listed("status%3Dclosed") == ["a2"]
    assert listed("alias:a1%20AND%20status:open") == ["a1"]
    assert listed("status:open%20and%20status:closed") == []
    millis = int(before.timestamp() * 1000)
    assert listed(f"createdAt%3E{millis}") == ["a3", "a2", "a1"]
    assert listed(f"createdAt%3C{millis}") == []
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(f"createdAt%3C%3D{later}%20AND%20status:closed") == ["a2"]
    for hostile in (
        "status:open%20OR%20status:closed",
        "message:disk",
        "alias:*",
        "createdAt%3Eyesterday",
        "createdAt%3E2026-01-01T00:00:00",
        "createdAt%3E99999999999999999999",
        "status:snoozed",
        "%22unterminated",
        "alias:a1%20status:open",
    ):
        refused = get(client, f"/v2/alerts?query={hostile}", key)
        assert refused.status_code == 422, hostile
        assert "Tocsin understands status" in refused.json_body["message"]
    for bad in ("limit=0", "limit=101", "offset=-1", "sort=message", "order=up", "offset=20000"):
        assert get(client, f"/v2/alerts?{bad}", key).status_code == 422, bad


def test_opsgenies_heartbeat_ping_is_issue_24s_ping_answered_in_opsgenies_envelope(
    client: Client, key_maker: Any, world: boto3.Session, settings: Settings
) -> None:
    """``/v2/heartbeats/{name}/ping`` is ``services.heartbeats.ping``: the key must be bound to
    the heartbeat (``tocsin keys create --heartbeat``), a heartbeat the playbook does not
    declare is 404 naming it, and every answer is Opsgenie's envelope."""
    key = key_maker("backup-job", set(), heartbeats=frozenset({"nightly-backup"}))
    first = client.http.get("/v2/heartbeats/nightly-backup/ping", headers=genie(key))
    second = client.http.post("/v2/heartbeats/nightly-backup/ping", headers=genie(key))
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json_body["result"] == "PONG - Heartbeat received"
    assert {"took", "requestId", "dueBy"} <= set(second.json_body)
    state = DynamoHeartbeatStore(world.client("dynamodb"), settings.incidents_table).states(
        ["nightly-backup"]
    )["nightly-backup"]
    assert (state.pings, state.last_key) == (2, "backup-job")
    # An opsgenie-bound key bound to the heartbeat pings it on Opsgenie's path.
    tool = key_maker(
        "og-tool",
        {Scope.TRIGGER},
        integrations=frozenset({"opsgenie"}),
        heartbeats=frozenset({"monitoring-watchdog"}),
    )
    assert (
        client.http.post("/v2/heartbeats/monitoring-watchdog/ping", headers=genie(tool)).status_code
        == 202
    )
    # A key with every scope but not bound to the heartbeat: 403, nothing recorded.
    unbound = key_maker("everything", ALL)
    refused = client.http.get("/v2/heartbeats/nightly-backup/ping", headers=genie(unbound))
    assert refused.status_code == 403
    assert "not bound to heartbeat 'nightly-backup'" in refused.json_body["message"]
    assert set(refused.json_body) == {"message", "took", "requestId"}
    # An undeclared heartbeat: 404 naming it.
    unknown = client.http.get("/v2/heartbeats/no-such-beat/ping", headers=genie(key))
    assert unknown.status_code == 404 and "no-such-beat" in unknown.json_body["message"]
    assert set(unknown.json_body) == {"message", "took", "requestId"}
    bad = client.http.get("/v2/heartbeats/..%2Fetc/ping", headers=genie(key))
    assert bad.status_code in (403, 404)
    assert (
        DynamoHeartbeatStore(world.client("dynamodb"), settings.incidents_table)
        .states(["nightly-backup"])["nightly-backup"]
        .pings
        == 2
    )
    assert nothing_was_accepted(world, settings)


def test_alertmanagers_opsgenie_configs_payloads_open_and_close(
    client: Client, runner: QueueRunner, key_maker: Any, world: boto3.Session, settings: Settings
) -> None:
    """What Alertmanager's opsgenie_configs sends (notify/opsgenie: the group key's hash as
    alias, common labels as details, its URL as source; resolved: close by alias with
    ``{"source"}``), with api_url pointing at Tocsin."""
    key = key_maker("prometheus", ALL, integrations=frozenset({"opsgenie"}))
    alias = "5d3f0e9c2b1a4f6e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e"
    source = "https://alertmanager.example.com/#/alerts?receiver=" + "tocsin-opsgenie" * 8
    create = {
        "alias": alias,
        "message": "[FIRING:1] DiskFull db-1 (critical)",
        "description": "Alerts Firing:\nLabels:\n - alertname = DiskFull\n",
        "details": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
        "source": source,  # longer than Opsgenie's 100 characters: cut, not refused
        "responders": [{"name": "dba", "type": "team"}],
        "tags": ["db"],
        "priority": "P1",
    }
    raw = (json.dumps(create) + "\n").encode()  # Go's json.Encoder ends with a newline
    opened = client.http.post(
        "/v2/alerts", body=raw, headers={"Content-Type": "application/json", **genie(key)}
    )
    assert opened.status_code == 202, opened.json_body
    runner.drain()
    store = DynamoIncidentStore(world.client("dynamodb"), settings.incidents_table)
    scoped = scope_dedup_key("key:prometheus", f"opsgenie:{alias}")  # the key's namespace
    assert store.find_open(scoped) is not None
    closed = client.http.post(
        f"/v2/alerts/{alias}/close?identifierType=alias",
        body=(json.dumps({"source": source}) + "\n").encode(),
        headers={"Content-Type": "application/json", **genie(key)},
    )
    assert closed.status_code == 202
    runner.drain()
    assert store.find_open(scoped) is None
    alert = get(client, f"/v2/alerts/{alias}?identifierType=alias", key).json_body["data"]
    assert alert["status"] == "closed" and len(alert["source"]) == 100


def test_a_geniekey_sent_in_the_body_too_is_never_kept(
    client: Client, api: Api, runner: QueueRunner, key_maker: Any
) -> None:
    """The legacy Opsgenie API took the key in the body as ``apiKey``; some tools still send it."""
    key = key_maker("legacy", ALL)
    body = {"message": "Disk full", "alias": "db-1", "priority": "P1", "apiKey": key}
    request_id = post(client, "/v2/alerts", body, genie(key)).json_body["requestId"]
    runner.drain()
    status = get(client, f"/v2/alerts/requests/{request_id}", key).json_body["data"]
    incident = api.get(f"/v1/incidents/{status['tocsin']['incidentId']}").json_body
    assert key not in json.dumps(incident)
    [received] = [e for e in incident["timeline"] if e["kind"] == "event_received"]
    assert received["data"]["original"]["apiKey"] == "<secret>"  # issue #17's mask


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "envelope"),
    [
        ("/v2/alerts", b"x" * (256 * 1024 + 1), "application/json", 413, "message"),
        ("/v2/alerts", b'{"message": "m"}', "text/plain", 415, "message"),
        ("/v2/alerts", b'{"message": ', "application/json", 400, "message"),
        ("/v2/enqueue", b"x" * (256 * 1024 + 1), "application/json", 413, "status"),
        ("/v2/enqueue", b'{"event_action": "trigger"}', "text/plain", 415, "status"),
        ("/v2/change/enqueue", b"\xff\xfe", "application/json", 400, "status"),
    ],
)
def test_oversized_mistyped_or_broken_bodies_are_refused_in_the_callers_envelope(
    client: Client,
    key_maker: Any,
    world: boto3.Session,
    settings: Settings,
    path: str,
    body: bytes,
    content_type: str,
    status: int,
    envelope: str,
) -> None:
    key = key_maker("airflow", ALL)
    answer = client.http.post(path, body=body, headers={"Content-Type": content_type, **genie(key)})
    assert answer.status_code == status
    assert envelope in answer.json_body  # Opsgenie's {"message"...} or PagerDuty's {"status"...}
    assert nothing_was_accepted(world, settings)
