"""The drop-in core with plain values, fakes and a fixed clock: Opsgenie alerts under races,
request status and its retention, notes, change events and their lookback, heartbeat names,
and the query language subset with hostile input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import app
from chalicelib.api.dropin import DROPIN_PATHS, without_credentials
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.dropin.alerts import MAX_NOTES, REQUEST_RETENTION, AlertDesk, alias_dedup_key
from chalicelib.core.dropin.changes import LOOKBACK, ChangeLog
from chalicelib.core.dropin.heartbeats import HeartbeatPings
from chalicelib.core.dropin.ports import ActionNote, AlertStatus, ChangeEvent, NewAlert
from chalicelib.core.dropin.query import AlertFilter, Page, parse_page, parse_query
from chalicelib.core.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.core.events import parse_event
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    Severity,
)
from tests.dropin_fakes import (
    MemoryAlertStore,
    MemoryChangeStore,
    MemoryRequestLog,
    MemoryTimelines,
)
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SENDER = "key:airflow"
WANTED = NewAlert(message="Disk full on db-1", priority="P1", event_type="it.alert", alias="db-1")
TRIGGER = {"source": "airflow", "type": "it.alert", "severity": "critical", "summary": "Disk full"}


class Recorded:
    """The intake: accepts documents as canonical events, remembers them."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.accepted: list[ReceivedEvent] = []

    def __call__(self, document: Mapping[str, Any]) -> ReceivedEvent:
        received = ReceivedEvent(
            f"evt_{len(self.accepted):026d}", self.clock.now(), parse_event(dict(document))
        )
        self.accepted.append(received)
        return received


class Decided:
    def __init__(self) -> None:
        self.outcomes: dict[str, DecisionOutcome] = {}

    def get(self, event_id: str) -> Any:
        outcome = self.outcomes.get(event_id)
        if outcome is None:
            return None
        return type(
            "Record",
            (),
            {"outcome": outcome, "reason": "r", "incident_id": None, "decided_at": NOW},
        )()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def parts(clock: FixedClock) -> dict[str, Any]:
    alerts, timelines, changes = MemoryAlertStore(), MemoryTimelines(), MemoryChangeStore()
    requests, decisions = MemoryRequestLog(), Decided()
    desk = AlertDesk(alerts, requests, decisions, timelines, ChangeLog(changes, timelines), clock)
    return {"desk": desk, "alerts": alerts, "requests": requests, "decisions": decisions,
            "timelines": timelines, "changes": changes, "intake": Recorded(clock)}  # fmt: skip


def test_two_creates_racing_on_one_alias_open_one_alert_and_count_the_other(
    parts: dict[str, Any],
) -> None:
    desk, alerts, intake = parts["desk"], parts["alerts"], parts["intake"]
    rival_done = []

    def rival_creates_first() -> None:
        if not rival_done:
            rival_done.append(True)
            desk.create(SENDER, WANTED, TRIGGER, intake)

    alerts.before_write = rival_creates_first
    mine = desk.create(SENDER, WANTED, TRIGGER, intake)
    [alert] = alerts.alerts.values()
    assert alert.count == 2
    assert mine.status == "Alert deduplicated" and mine.alert_id == alert.alert_id
    assert len(intake.accepted) == 2  # both events went to the rules, both with one dedup key
    assert {r.event.dedup_key for r in intake.accepted} == {alias_dedup_key("db-1")}


def test_without_an_alias_the_alert_id_is_its_alias_and_each_create_is_its_own(
    parts: dict[str, Any],
) -> None:
    desk, intake = parts["desk"], parts["intake"]
    first = desk.create(SENDER, replace(WANTED, alias=None), TRIGGER, intake)
    second = desk.create(SENDER, replace(WANTED, alias=None), TRIGGER, intake)
    assert first.alias == first.alert_id and second.alias == second.alert_id
    assert first.alert_id != second.alert_id
    # The sender is remembered before the event is queued, for its incidents' change events.
    assert parts["changes"].sender_of(alias_dedup_key(first.alias)) == SENDER


def test_an_invalid_event_or_a_refused_key_changes_nothing(parts: dict[str, Any]) -> None:
    desk, alerts, requests = parts["desk"], parts["alerts"], parts["requests"]

    def refuse(document: Mapping[str, Any]) -> ReceivedEvent:
        raise Forbidden("the key 'x' does not have the trigger scope")

    with pytest.raises(Forbidden):
        desk.create(SENDER, WANTED, TRIGGER, refuse)
    assert alerts.alerts == {} and requests.requests == {}


def test_request_status_waits_for_the_decision_and_expires(
    parts: dict[str, Any], clock: FixedClock
) -> None:
    desk, decisions, intake = parts["desk"], parts["decisions"], parts["intake"]
    request = desk.create(SENDER, WANTED, TRIGGER, intake)
    with pytest.raises(NotFound, match="not be processed, yet"):
        desk.status(SENDER, request.request_id)
    decisions.outcomes[request.request_id] = DecisionOutcome.ACTIVATED
    assert desk.status(SENDER, request.request_id).request.status == "Created alert"
    with pytest.raises(NotFound):
        desk.status("key:someone-else", request.request_id)
    clock.current = NOW + REQUEST_RETENTION + timedelta(seconds=1)
    with pytest.raises(NotFound):
        desk.status(SENDER, request.request_id)


def test_answers_find_the_alert_by_each_identifier_and_refuse_the_rest(
    parts: dict[str, Any],
) -> None:
    desk, intake = parts["desk"], parts["intake"]
    created = desk.create(SENDER, WANTED, TRIGGER, intake)
    alert = parts["alerts"].get(created.alert_id)
    for identifier, kind in ((alert.alert_id, None), ("db-1", "alias"), (alert.tiny_id, "tiny")):
        assert desk.find(SENDER, identifier, kind) == alert
    with pytest.raises(InvalidRequest, match="must be id, alias or tiny"):
        desk.find(SENDER, "db-1", "name")
    for identifier, kind in (("db-2", "alias"), ("99", "tiny"), ("db-1", "id")):
        with pytest.raises(NotFound, match="Alert does not exist"):
            desk.find(SENDER, identifier, kind)
    with pytest.raises(NotFound):
        desk.find("key:someone-else", "db-1", "alias")


def test_close_resolves_by_the_alerts_dedup_key_and_a_second_close_queues_nothing(
    parts: dict[str, Any],
) -> None:
    desk, intake = parts["desk"], parts["intake"]
    desk.create(SENDER, WANTED, TRIGGER, intake)
    closed = desk.answer(SENDER, "db-1", "alias", "resolve", ActionNote(user="Jesse"), intake)
    assert (closed.status, intake.accepted[-1].event.action.value) == ("Closed alert", "resolve")
    assert intake.accepted[-1].event.dedup_key == alias_dedup_key("db-1")
    alert = parts["alerts"].get(closed.alert_id)
    assert (alert.status, alert.closed_by) == (AlertStatus.CLOSED, "Jesse")
    again = desk.answer(SENDER, "db-1", "alias", "resolve", ActionNote(), intake)
    assert (again.success, again.status, again.event_id) == (False, "Alert is already closed", None)
    assert len(intake.accepted) == 2


def test_notes_reach_the_open_incident_once_and_the_alert_keeps_its_latest(
    parts: dict[str, Any],
) -> None:
    desk, intake, timelines = parts["desk"], parts["intake"], parts["timelines"]
    created = desk.create(SENDER, WANTED, TRIGGER, intake)
    timelines.incidents["inc_1"] = incident("inc_1", alias_dedup_key("db-1"))
    for number in range(MAX_NOTES + 2):
        desk.add_note(SENDER, "db-1", "alias", ActionNote(user="Jesse", note=f"note {number}"))
    notes = parts["alerts"].get(created.alert_id).notes
    assert [n.text for n in notes] == [f"note {n}" for n in range(2, MAX_NOTES + 2)]
    assert len(timelines.entries["inc_1"]) == MAX_NOTES + 2
    with pytest.raises(InvalidRequest, match="note"):
        desk.add_note(SENDER, "db-1", "alias", ActionNote(user="Jesse"))


def test_list_pages_through_the_matching_alerts(parts: dict[str, Any], clock: FixedClock) -> None:
    desk, intake = parts["desk"], parts["intake"]
    for minute in range(5):
        clock.current = NOW + timedelta(minutes=minute)
        desk.create(SENDER, replace(WANTED, alias=f"a{minute}"), TRIGGER, intake)
    desk.answer(SENDER, "a1", "alias", "resolve", ActionNote(), intake)

    def aliases(query: str, page: Page) -> list[str]:
        return [a.alias for a in desk.list(SENDER, parse_query(query), page)]

    assert aliases("", Page()) == ["a4", "a3", "a2", "a1", "a0"]
    assert aliases("status:open", Page(offset=1, limit=2)) == ["a3", "a2"]
    assert aliases("status:open", Page(newest_first=False, limit=2)) == ["a0", "a2"]
    start = int((NOW + timedelta(minutes=1)).timestamp() * 1000)
    assert aliases(f"createdAt>={start} AND createdAt<{start + 120_000}", Page()) == ["a2", "a1"]
    assert aliases("status:closed AND alias:a1", Page()) == ["a1"]
    assert desk.list("key:someone-else", AlertFilter(), Page()) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", AlertFilter()),
        ("  status : open ", AlertFilter(status=AlertStatus.OPEN)),
        ("STATUS:open", None),  # field names are case-sensitive, as Opsgenie's
        ('alias:"disk full on db-1"', AlertFilter(alias="disk full on db-1")),
        ('alias:"say \\"hi\\""', AlertFilter(alias='say "hi"')),
        ('alias:"a*b"', AlertFilter(alias="a*b")),
        ("createdAt>0", AlertFilter(start=datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC))),
        ("createdAt<=2026-01-01", AlertFilter(end=datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC))),
        ("createdAt>2026-01-01T00:00:00+01:00 and createdAt>=1767225600000",
         AlertFilter(start=datetime(2026, 1, 1, tzinfo=UTC))),
        ("status:open AND status:closed",
         AlertFilter(status=AlertStatus.CLOSED, matches_nothing=True)),
    ],
)  # fmt: skip
def test_the_query_subset_reads_what_it_documents(query: str, expected: AlertFilter | None) -> None:
    if expected is None:
        with pytest.raises(InvalidRequest):
            parse_query(query)
    else:
        assert parse_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "status:open OR status:closed",
        "NOT status:open",
        "message:disk",
        "disk full",
        "alias:a*",
        "alias:*",
        'alias:"unterminated',
        "status:snoozed",
        "createdAt:2026-01-01",
        "createdAt>yesterday",
        "createdAt>2026-01-01T00:00:00",
        "createdAt>" + "9" * 30,
        "status:open AND",
        "status:open AND AND alias:x",
        "alias:a status:open",
        "status<open",
        "\x00",
        "(status:open)",
    ],
)
def test_anything_else_is_refused_saying_what_is_understood(query: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_query(query)
    assert refused.value.field == "query"
    assert "Tocsin understands status" in refused.value.message


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (("0", None, None, None), None),
        ((None, "0", None, None), "limit"),
        ((None, "101", None, None), "limit"),
        (("-1", None, None, None), "offset"),
        (("19990", "20", None, None), "offset"),
        ((None, "1e3", None, None), "limit"),
        ((None, None, "message", None), "sort"),
        ((None, None, None, "up"), "order"),
    ],
)
def test_paging_is_bounded(given: tuple[str | None, ...], field: str | None) -> None:
    if field is None:
        assert parse_page(*given) == Page()
    else:
        with pytest.raises(InvalidRequest) as refused:
            parse_page(*given)
        assert refused.value.field == field


def incident(incident_id: str, dedup_key: str, opened_at: datetime = NOW) -> Incident:
    return Incident(
        incident_id=incident_id, status=IncidentStatus.OPEN, title="t", type="it.alert",
        severity=Severity.HIGH, event_status=EventStatus.ACTUAL, dedup_key=dedup_key,
        rule_id="r", plan_id="p", opened_at=opened_at, updated_at=opened_at,
    )  # fmt: skip


def change(change_id: str, at: datetime, sender: str = SENDER) -> ChangeEvent:
    return ChangeEvent(change_id, sender, f"deploy {change_id}", at)


def test_changes_reach_the_senders_open_incidents_and_forget_resolved_ones() -> None:
    changes, timelines = MemoryChangeStore(), MemoryTimelines()
    log = ChangeLog(changes, timelines)
    log.remember(SENDER, "k1", NOW)
    log.remember("key:other", "k2", NOW)
    timelines.incidents |= {"inc_1": incident("inc_1", "k1"), "inc_2": incident("inc_2", "k2")}
    assert log.incident_opened("inc_1") == 0 and log.incident_opened("inc_2") == 0
    assert log.record(change("c1", NOW)) == ["inc_1"]
    assert log.record(change("c1", NOW)) == ["inc_1"]  # a retry: one entry, keyed
    assert list(timelines.entries["inc_1"]) == ["change-c1"]
    timelines.incidents["inc_1"] = replace(
        timelines.incidents["inc_1"], status=IncidentStatus.RESOLVED
    )
    assert log.record(change("c2", NOW)) == []
    assert changes.incidents(SENDER) == []


def test_a_new_incident_lists_the_changes_of_the_lookback_before_it() -> None:
    changes, timelines = MemoryChangeStore(), MemoryTimelines()
    log = ChangeLog(changes, timelines)
    for name, at in (
        ("too-old", NOW - LOOKBACK - timedelta(seconds=1)),
        ("yesterday-evening", NOW - LOOKBACK + timedelta(minutes=1)),
        ("just-before", NOW - timedelta(minutes=2)),
    ):
        changes.record(change(name, at))
    changes.record(change("not-mine", NOW - timedelta(minutes=1), sender="key:other"))
    log.remember(SENDER, "k1", NOW)
    timelines.incidents["inc_1"] = incident("inc_1", "k1")
    assert log.incident_opened("inc_1") == 2
    entries = timelines.entries["inc_1"].values()
    assert [e.summary for e in entries] == [
        "change before this incident: deploy yesterday-evening",
        "change before this incident: deploy just-before",
    ]
    # A change recorded after the incident opened, before it was known to be the sender's:
    # listed too, as a change, not as one before it (a keyed entry: record() would not double it).
    changes.record(change("racing", NOW + timedelta(seconds=5)))
    log.incident_opened("inc_1")
    assert timelines.entries["inc_1"]["change-racing"].summary == "change: deploy racing"
    assert len(timelines.entries["inc_1"]) == 3
    timelines.incidents["inc_9"] = incident("inc_9", "nobody-remembered-this")
    assert log.incident_opened("inc_9") == 0  # not a drop-in sender's: nothing listed


class Pings:
    def __init__(self) -> None:
        self.pings: list[tuple[str, datetime, str]] = []

    def record_ping(self, heartbeat_id: str, at: datetime, key_name: str) -> int:
        self.pings.append((heartbeat_id, at, key_name))
        return len(self.pings)


@pytest.mark.parametrize("name", ["", "-x", "../etc", "a b", "x" * 101, "名前", "a/b"])
def test_a_heartbeat_name_outside_the_safe_set_is_refused(name: str) -> None:
    pings = Pings()
    with pytest.raises(InvalidRequest):
        HeartbeatPings(pings, FixedClock(NOW)).ping(name, ApiKey("k", frozenset({Scope.TRIGGER})))
    assert pings.pings == []


def test_a_ping_needs_the_trigger_scope_and_is_recorded_with_its_key() -> None:
    pings, clock = Pings(), FixedClock(NOW)
    beat = HeartbeatPings(pings, clock)
    assert beat.ping("nightly-backup", ApiKey("cron", frozenset({Scope.TRIGGER}))).pings == 1
    with pytest.raises(Forbidden):
        beat.ping("nightly-backup", ApiKey("reader", frozenset({Scope.READ})))
    assert pings.pings == [("nightly-backup", NOW, "cron")]


def test_every_v2_route_is_declared_for_its_integration_and_nothing_else() -> None:
    served = {path for path in app.routes if path.startswith("/v2/")}
    assert served == set(DROPIN_PATHS)
    assert {DROPIN_PATHS[p] for p in served if "alerts" in p or "heartbeats" in p} == {"opsgenie"}
    assert {DROPIN_PATHS["/v2/enqueue"], DROPIN_PATHS["/v2/change/enqueue"]} == {"pagerduty"}


def test_credential_fields_are_dropped_from_what_is_kept() -> None:
    payload = {"routing_key": "tcs_secret", "service_key": "s", "apiKey": "g", "message": "m"}
    assert without_credentials(payload) == {"message": "m"}
    assert without_credentials(["kept", "as is"]) == ["kept", "as is"]
