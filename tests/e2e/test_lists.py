"""``GET /v1/incidents`` and ``GET /v1/events`` through the app: page after page with each
filter, cursors that refuse another query, and a clear 400 for every bad parameter."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import ApiKey, Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from chalicelib.storage.events import DynamoEventStore
from chalicelib.storage.incidents import DynamoIncidentStore
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.conftest import Api
from tests.list_samples import START, sample_events, sample_incidents, store_events, store_incidents

INCIDENTS = sample_incidents(24)
EVENTS = sample_events(20)
DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


@pytest.fixture
def seeded(world: boto3.Session, settings: Settings) -> None:
    client = world.client("dynamodb")
    store_incidents(DynamoIncidentStore(client, settings.incidents_table), INCIDENTS)
    store_events(DynamoEventStore(client, settings.incidents_table), EVENTS)


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def every_page(api: Api, path: str, params: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every item, following next_cursor, and the number of pages."""
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    kind = path.rsplit("/", 1)[1]
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = api.get(f"{path}?{urlencode(query)}")
        assert answer.status_code == 200, answer.json_body
        pages += 1
        items += answer.json_body[kind]
        cursor = answer.json_body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 50


INCIDENT_CASES = {
    "default": ({}, lambda i: not i.is_exercise),
    "status": ({"status": "open"}, lambda i: i.status.value == "open" and not i.is_exercise),
    "since": ({"since": at(10)}, lambda i: i.opened_at >= START + timedelta(minutes=10)),
    "until": ({"until": at(15)}, lambda i: i.opened_at <= START + timedelta(minutes=15)),
    "type": ({"type": "cyber.data_breach"}, lambda i: i.type == "cyber.data_breach"),
    "severity": ({"severity": "critical"}, lambda i: i.severity.value == "critical"),
    "plan": ({"plan": "it-major-incident"}, lambda i: i.plan_id == "it-major-incident"),
    "exercise=include": ({"exercise": "include"}, lambda i: True),
    "exercise=only": ({"exercise": "only"}, lambda i: i.is_exercise),
}


@pytest.mark.parametrize("case", list(INCIDENT_CASES))
def test_incidents_page_newest_first_through_every_filter(
    api: Api, seeded: None, case: str
) -> None:
    params, keep = INCIDENT_CASES[case]
    exercise = params.get("exercise")
    expected = [
        i.incident_id
        for i in reversed(INCIDENTS)
        if keep(i) and (exercise is not None or not i.is_exercise)
    ]
    items, pages = every_page(api, "/v1/incidents", {**params, "limit": "3"})
    assert [item["incident_id"] for item in items] == expected
    assert pages > 1 and len(expected) > 3
    first = next(i for i in INCIDENTS if i.incident_id == items[0]["incident_id"])
    assert items[0] == {
        "incident_id": first.incident_id,
        "status": first.status.value,
        "title": first.title,
        "type": first.type,
        "severity": first.severity.value,
        "exercise": first.is_exercise,
        "plan_id": first.plan_id,
        "rule_id": first.rule_id,
        "opened_at": first.opened_at.isoformat(),
        "resolved_at": first.resolved_at.isoformat() if first.resolved_at else None,
        "first_sent_at": None,
    }


EVENT_CASES = {
    "everything": ({}, lambda outcome, source, minute: True),
    "status": ({"status": "suppressed"}, lambda outcome, s, m: outcome.value == "suppressed"),
    "source": ({"source": "prometheus-prod"}, lambda o, source, m: source == "prometheus-prod"),
    "since": ({"since": at(6)}, lambda o, s, minute: minute >= 6),
}


@pytest.mark.parametrize("case", list(EVENT_CASES))
def test_events_page_newest_first_through_every_filter(api: Api, seeded: None, case: str) -> None:
    params, keep = EVENT_CASES[case]
    expected = [
        received.event_id
        for received, outcome in reversed(EVENTS)
        if keep(outcome, received.event.source, (received.received_at - START).seconds // 60)
    ]
    items, pages = every_page(api, "/v1/events", {**params, "limit": "3"})
    assert [item["event_id"] for item in items] == expected
    assert pages > 1 and len(expected) > 3
    assert set(items[0]) == {
        "event_id",
        "status",
        "source",
        "type",
        "severity",
        "exercise",
        "received_at",
        "decided_at",
        "code",
        "reason",
        "incident_id",
    }


def test_what_events_open_and_resolve_is_listed_at_once_under_its_status(
    api: Api, runner: QueueRunner
) -> None:
    opened = api.post_event(DEMO).json_body["event_id"]
    outage = api.post_event(
        {
            "source": "prometheus-prod",
            "type": "it.outage",
            "severity": "critical",
            "summary": "Payments API down",
            "dedup_key": "payments",
        }
    ).json_body["event_id"]
    assert [e["event_id"] for e in api.get("/v1/events?status=pending").json_body["events"]] == [
        outage,
        opened,
    ]
    runner.drain()
    resolve = {**DEMO, "action": "resolve"}
    resolving = api.post_event(resolve).json_body["event_id"]
    runner.drain()

    incidents = api.get("/v1/incidents").json_body["incidents"]
    assert [(i["type"], i["status"]) for i in incidents] == [
        ("it.outage", "open"),
        ("cyber.data_breach", "resolved"),
    ]
    assert all(i["first_sent_at"] is not None for i in incidents)
    assert [i["type"] for i in api.get("/v1/incidents?status=open").json_body["incidents"]] == [
        "it.outage"
    ]
    events = api.get("/v1/events").json_body["events"]
    assert [(e["event_id"], e["status"]) for e in events] == [
        (resolving, "resolved"),
        (outage, "activated"),
        (opened, "activated"),
    ]
    assert api.get("/v1/events?status=pending").json_body == {"events": [], "next_cursor": None}


BAD_PARAMETERS = [
    ("/v1/incidents", "status=closed", "status", "must be one of awaiting_approval, open"),
    ("/v1/incidents", "since=yesterday", "since", "is not an ISO 8601 timestamp"),
    ("/v1/incidents", "since=2026-11-01T08:00:00", "since", "must include a time zone"),
    (
        "/v1/incidents",
        urlencode({"since": at(10), "until": at(5)}),
        "until",
        "must not be before since",
    ),
    ("/v1/incidents", "type=Not%20A%20Type", "type", "must be an event type"),
    ("/v1/incidents", "severity=urgent", "severity", "must be one of info, low"),
    ("/v1/incidents", "plan=Crisis%20Cell!", "plan", "must be a plan id"),
    ("/v1/incidents", "exercise=true", "exercise", "must be one of exclude, include, only"),
    ("/v1/incidents", "limit=0", "limit", "from 1 to 200"),
    ("/v1/incidents", "limit=201", "limit", "from 1 to 200"),
    ("/v1/incidents", "limit=ten", "limit", "from 1 to 200"),
    ("/v1/incidents", "limit=%EF%BC%91", "limit", "from 1 to 200"),  # a full-width 1
    ("/v1/incidents", "status=open&status=resolved", "status", "must be given once"),
    ("/v1/incidents", "source=soc", "source", "is not a parameter of this list"),
    ("/v1/incidents", "cursor=not-a-cursor", "cursor", "is not a cursor this API gave"),
    ("/v1/incidents", "cursor=" + "A" * 600, "cursor", "is not a cursor this API gave"),
    ("/v1/events", "status=decided", "status", "must be one of pending, activated"),
    ("/v1/events", "source=", "source", "must be a source name"),
    ("/v1/events", "since=2026-13-01T00:00:00Z", "since", "is not an ISO 8601 timestamp"),
    ("/v1/events", "limit=-1", "limit", "from 1 to 200"),
    ("/v1/events", "type=it.outage", "type", "is not a parameter of this list"),
]


@pytest.mark.parametrize(("path", "query", "field", "words"), BAD_PARAMETERS)
def test_a_bad_parameter_is_a_400_that_names_it(
    api: Api, world: boto3.Session, path: str, query: str, field: str, words: str
) -> None:
    answer = api.get(f"{path}?{query}")
    assert answer.status_code == 400
    error = answer.json_body["error"]
    assert (error["code"], error["field"]) == ("invalid_request", field)
    assert words in error["message"]


def test_every_bad_parameter_is_named_in_one_answer(api: Api, world: boto3.Session) -> None:
    answer = api.get("/v1/incidents?status=closed&limit=0&colour=red&severity=urgent")
    assert answer.status_code == 400
    assert {p["field"] for p in answer.json_body["errors"]} == {
        "status",
        "limit",
        "colour",
        "severity",
    }


def test_a_cursor_only_pages_the_query_that_gave_it(api: Api, seeded: None) -> None:
    first = api.get("/v1/incidents?status=resolved&limit=2").json_body
    cursor = first["next_cursor"]
    assert cursor
    same = api.get(f"/v1/incidents?status=resolved&limit=5&cursor={cursor}")
    assert same.status_code == 200  # another page size is the same query
    for other in (
        "status=open",
        "",
        "status=resolved&exercise=include",
        "status=resolved&type=it.outage",
    ):
        answer = api.get(f"/v1/incidents?{other}&cursor={cursor}")
        assert answer.status_code == 400, other
        assert answer.json_body["error"]["field"] == "cursor"
        assert "belongs to another query" in answer.json_body["error"]["message"]
    events_cursor = api.get("/v1/events?limit=2").json_body["next_cursor"]
    wrong_kind = api.get(f"/v1/incidents?cursor={events_cursor}")
    assert (wrong_kind.status_code, wrong_kind.json_body["error"]["field"]) == (400, "cursor")
    # Altered by hand: another id, or another fingerprint, is refused too.
    document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for change in ({"id": "inc_../../etc"}, {"q": "0" * 20}, {"at": "soon"}, {"v": 2}):
        forged = base64.urlsafe_b64encode(json.dumps({**document, **change}).encode()).decode()
        answer = api.get(f"/v1/incidents?status=resolved&cursor={forged}")
        assert (answer.status_code, answer.json_body["error"]["field"]) == (400, "cursor"), change


def test_lists_need_a_key_with_the_read_scope(
    api: Api, client: Client, world: boto3.Session, settings: Settings
) -> None:
    for path in ("/v1/incidents", "/v1/events"):
        assert client.http.get(path).status_code == 401
        assert api.get(path, key="not-a-key").status_code == 401
    trigger_only = generate_api_key()
    DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).add(
        trigger_only,
        ApiKey(name="prometheus", scopes=frozenset({Scope.TRIGGER})),
        datetime.now(UTC),
    )
    for path in ("/v1/incidents", "/v1/events"):
        answer = api.get(path, key=trigger_only)
        assert answer.status_code == 403
        assert "read scope" in answer.json_body["error"]["message"]
    assert api.get("/v1/incidents", key=LOCAL_KEY).status_code == 200
