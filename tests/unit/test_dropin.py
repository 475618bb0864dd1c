"""The drop-in core with plain values, fakes and a fixed clock: Opsgenie alerts under races,
request status and its retention, notes and change events on their sender's incidents (by the
scoped dedup key, issue #17) and the lookback, and the query language subset with hostile
input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import app
from chalicelib.api.dropin import Caller
from chalicelib.core.access import INTEGRATIONS, ApiKey, Scope
from chalicelib.core.dropin.alerts import MAX_NOTES, REQUEST_RETENTION, AlertDesk, alias_dedup_key
from chalicelib.core.dropin.changes import LOOKBACK, ChangeLog
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
    scope_dedup_key,
)
from fakes import (
    FixedClock,
    MemoryAlertStore,
    MemoryChangeStore,
    MemoryRequestLog,
    MemoryTimelines,
)

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
    remembered = scope_dedup_key(SENDER, alias_dedup_key(first.alias))  # as incidents know it
    assert parts["changes"].sender_of(remembered) == SENDER


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


def incident(
    incident_id: str, dedup_key: str, opened_at: datetime = NOW, namespace: str = SENDER
) -> Incident:
    """An open incident of ``dedup_key`` in the sender's ``namespace`` (issue #17)."""
    return Incident(
        incident_id=incident_id, status=IncidentStatus.OPEN, title="t", type="it.alert",
        severity=Severity.HIGH, event_status=EventStatus.ACTUAL, dedup_key=dedup_key,
        rule_id="r", plan_id="p", opened_at=opened_at, updated_at=opened_at,
        dedup_namespace=namespace,
    )  # fmt: skip


def change(change_id: str, at: datetime, sender: str = SENDER) -> ChangeEvent:
    return ChangeEvent(change_id, sender, f"deploy {change_id}", at)


def test_changes_reach_the_senders_open_incidents_and_forget_resolved_ones() -> None:
    changes, timelines = MemoryChangeStore(), MemoryTimelines()
    log = ChangeLog(changes, timelines)
    log.remember(SENDER, "k1", NOW)
    log.remember("key:other", "k2", NOW)
    timelines.incidents |= {
        "inc_1": incident("inc_1", "k1"),
        "inc_2": incident("inc_2", "k2", namespace="key:other"),
    }
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


def test_every_v2_route_is_declared_for_its_integration_and_nothing_else() -> None:
    served = {path for path in app.routes if path.startswith("/v2/")}
    owners = {path: name for name, declared in INTEGRATIONS.items() for path in declared.paths}
    assert served <= set(owners)
    assert {owners[p] for p in served if "alerts" in p or "heartbeats" in p} == {"opsgenie"}
    assert {owners["/v2/enqueue"], owners["/v2/change/enqueue"]} == {"pagerduty"}
    assert {p for p, name in owners.items() if name in ("pagerduty", "opsgenie")} - served == {
        "/v1/integrations/pagerduty",
        "/v1/integrations/opsgenie",
    }


def test_credentials_are_withheld_from_what_the_drop_in_stores_keep() -> None:
    genie = "tcs_live_0123456789abcdefghijklmnop"
    caller = Caller(ApiKey("og", frozenset({Scope.TRIGGER})), genie, "opsgenie")
    payload = {
        "message": "m",
        "apiKey": "legacy-genie-key-0001",
        "details": {"deeper": {"APIKEY": "x"}, "said": f"GenieKey {genie}"},
        "note": f"sent with {genie}",
    }
    kept = caller.withheld(payload)
    assert "legacy-genie-key-0001" not in str(kept) and genie not in str(kept)
    assert kept["message"] == "m" and kept["details"]["deeper"]["APIKEY"] != "x"
    pagerduty = Caller(ApiKey("pd", frozenset({Scope.TRIGGER})), genie, "pagerduty")
    change = {"routing_key": genie, "service_key": "v1-service-key-0001", "payload": {}}
    assert "v1-service-key-0001" not in str(pagerduty.withheld(change))
    assert genie not in str(pagerduty.withheld(change))


def test_a_note_reaches_only_the_incident_of_its_senders_namespace(
    parts: dict[str, Any],
) -> None:
    """Incidents are found by scoped dedup key: another sender's incident with the same dedup
    key gets none of this sender's notes."""
    desk, intake, timelines = parts["desk"], parts["intake"], parts["timelines"]
    desk.create(SENDER, WANTED, TRIGGER, intake)
    timelines.incidents["theirs"] = incident("theirs", alias_dedup_key("db-1"), namespace="key:x")
    timelines.incidents["mine"] = incident("mine", alias_dedup_key("db-1"))
    desk.add_note(SENDER, "db-1", "alias", ActionNote(user="Jesse", note="Freed 40 GB"))
    assert [e.summary for e in timelines.entries["mine"].values()] == [
        "note from Jesse: Freed 40 GB"
    ]
    assert "theirs" not in timelines.entries


def test_an_incident_with_the_senders_dedup_key_in_another_namespace_lists_no_changes() -> None:
    changes, timelines = MemoryChangeStore(), MemoryTimelines()
    log = ChangeLog(changes, timelines)
    changes.record(change("deploy-1", NOW - timedelta(minutes=1)))
    log.remember(SENDER, "k1", NOW)
    timelines.incidents["theirs"] = incident("theirs", "k1", namespace="key:other")
    assert log.incident_opened("theirs") == 0
    timelines.incidents["mine"] = incident("mine", "k1")
    assert log.incident_opened("mine") == 1
    assert log.record(change("deploy-2", NOW)) == ["mine"]
