"""The incident store and the event store, fake and DynamoDB alike: never two open incidents for
one dedup key, decisions recorded once, keyed timeline entries written once, the response state
moved on only from the version read, and the escalation index holding what is due."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.activation.ports import EventStore
from chalicelib.core.events import parse_event
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    Link,
    ReceivedEvent,
    ResponseState,
    Severity,
    Stop,
    TimelineEntry,
)
from chalicelib.core.ports import IncidentStore, OpenOutcome
from chalicelib.core.verdicts import Verdict
from fakes import MemoryEventStore, MemoryIncidentStore
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
VERDICT = Verdict(True, "matched", "matched rule r", "r", "p")


def received(
    dedup_key: str = "db-down", action: str = "trigger", at: datetime = NOW
) -> ReceivedEvent:
    event = parse_event(
        {
            "source": "test",
            "type": "it.outage",
            "severity": "high",
            "summary": "Database down",
            "dedup_key": dedup_key,
            "action": action,
        }
    )
    return ReceivedEvent(new_event_id(at), at, event)


def incident_for(event: ReceivedEvent, **changes: Any) -> Incident:
    incident = Incident(
        incident_id_for_event(event.event_id),
        IncidentStatus.OPEN,
        "Database down",
        "it.outage",
        Severity.HIGH,
        EventStatus.ACTUAL,
        event.dedup_key,
        "r",
        "p",
        event.received_at + timedelta(seconds=1),
        event.received_at + timedelta(seconds=1),
    )
    return replace(incident, **changes)


@dataclass(frozen=True)
class Stores:
    incidents: IncidentStore
    events: EventStore


def make_stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        events = MemoryEventStore()
        return Stores(MemoryIncidentStore(events), events)
    from chalicelib.storage.events import DynamoEventStore
    from chalicelib.storage.incidents import DynamoIncidentStore

    client = request.getfixturevalue("tables").client("dynamodb")
    table = request.getfixturevalue("settings").incidents_table
    return Stores(DynamoIncidentStore(client, table), DynamoEventStore(client, table))


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest) -> Stores:
    return make_stores(request)


def test_the_opening_events_links_are_kept_with_the_incident(stores: Stores) -> None:
    event = received()
    links = (Link("https://status.example.com/db", "Status page"), Link("https://x.example.com"))
    opened = stores.incidents.open(incident_for(event, links=links), event, VERDICT)
    stored = stores.incidents.get(opened.incident_id)
    assert stored is not None and stored.links == links


def test_opens_once_and_recognises_its_own_redelivery(stores: Stores) -> None:
    incidents, events = stores.incidents, stores.events
    first = received()
    events.record_received(first)
    assert incidents.open(incident_for(first), first, VERDICT).outcome is OpenOutcome.OPENED
    again = incidents.open(incident_for(first), first, VERDICT)
    assert again.outcome is OpenOutcome.REDELIVERED
    record = events.get(first.event_id)
    assert record is not None and record.incident_id == again.incident_id
    assert (record.outcome, record.code, record.reason) == (
        DecisionOutcome.ACTIVATED,
        "matched",
        "matched rule r",
    )
    assert incidents.get(again.incident_id) == incident_for(first)


def test_a_second_trigger_with_the_same_key_joins_and_is_counted_once(stores: Stores) -> None:
    incidents = stores.incidents
    first, second = received(), received(at=NOW + timedelta(seconds=5))
    opened = incidents.open(incident_for(first), first, VERDICT)
    joined = incidents.open(incident_for(second), second, VERDICT)
    assert (joined.outcome, joined.incident_id) == (OpenOutcome.JOINED, opened.incident_id)
    assert incidents.join(opened.incident_id, second, NOW) is True
    assert incidents.join(opened.incident_id, second, NOW) is False  # redelivered: not twice
    stored = incidents.get(opened.incident_id)
    assert stored is not None and stored.event_count == 2 and stored.updated_at == NOW
    assert incidents.join("inc_nothing", second, NOW) is False
    summaries = [entry.summary for entry in incidents.timeline(opened.incident_id)]
    assert (
        summaries[-1]
        == "trigger received from test: Database down (duplicate; nobody notified again)"
    )


def test_resolving_frees_the_dedup_key_for_a_new_incident(stores: Stores) -> None:
    incidents, events = stores.incidents, stores.events
    first = received()
    opened = incidents.open(incident_for(first), first, VERDICT)
    assert incidents.find_open("db-down") == opened.incident_id
    resolving = received(action="resolve", at=NOW + timedelta(minutes=1))
    events.record_received(resolving)
    assert incidents.resolve(opened.incident_id, resolving, NOW + timedelta(minutes=1)) is True
    assert incidents.resolve(opened.incident_id, received(action="resolve"), NOW) is False
    resolved = incidents.get(opened.incident_id)
    assert resolved is not None and resolved.status is IncidentStatus.RESOLVED
    assert resolved.resolved_at == resolved.updated_at == NOW + timedelta(minutes=1)
    assert incidents.find_open("db-down") is None
    record = events.get(resolving.event_id)
    assert record is not None
    assert (record.outcome, record.reason, record.incident_id) == (
        DecisionOutcome.RESOLVED,
        "resolved by test",
        opened.incident_id,
    )
    later = received(at=NOW + timedelta(minutes=5))
    reopened = incidents.open(incident_for(later), later, VERDICT)
    assert reopened.outcome is OpenOutcome.OPENED
    assert reopened.incident_id != opened.incident_id
    assert incidents.resolve("inc_nothing", resolving, NOW) is False


def test_keyed_timeline_entries_are_written_once_and_read_back_in_time_order(
    stores: Stores,
) -> None:
    incidents = stores.incidents
    first = received()
    opened = incidents.open(incident_for(first), first, VERDICT)
    for minute in range(3):
        incidents.append(
            opened.incident_id,
            [TimelineEntry(NOW + timedelta(minutes=minute), "planned", f"{minute}", key="planned")],
        )
    incidents.append(
        opened.incident_id,
        [
            TimelineEntry(NOW + timedelta(minutes=1), "note", "a", {"at": NOW, "n": (1, 2)}),
            TimelineEntry(NOW + timedelta(minutes=1), "note", "a"),  # unkeyed: both are kept
        ],
    )
    timeline = incidents.timeline(opened.incident_id)
    assert [(entry.kind, entry.summary) for entry in timeline] == [
        ("event_received", "trigger received from test: Database down"),
        ("activated", "incident opened: matched rule r"),
        ("note", "a"),
        ("note", "a"),
        ("planned", "2"),  # the last write of a key wins
    ]
    # Entries come back as JSON keeps them (str() for what JSON lacks), without their key.
    assert sorted(str(e.data) for e in timeline if e.kind == "note") == [
        "{'at': '2026-11-23 03:00:00+00:00', 'n': [1, 2]}",
        "{}",
    ]
    assert {entry.key for entry in timeline} == {None}
    assert incidents.timeline("inc_nothing") == []


def test_decisions_are_recorded_once(stores: Stores) -> None:
    events = stores.events
    event = received()
    assert events.get(event.event_id) is None
    events.record_received(event)
    pending = events.get(event.event_id)
    assert pending is not None
    assert (pending.outcome, pending.received_at, pending.decided_at) == (
        DecisionOutcome.PENDING,
        NOW,
        None,
    )
    assert events.record_decision(event.event_id, DecisionOutcome.SUPPRESSED, "c", "r", NOW)
    assert not events.record_decision(event.event_id, DecisionOutcome.UPDATED, "c", "r", NOW)
    record = events.get(event.event_id)
    assert record is not None and record.outcome is DecisionOutcome.SUPPRESSED
    assert (record.code, record.reason, record.decided_at) == ("c", "r", NOW)
    assert not events.record_decision("evt_nothing", DecisionOutcome.UPDATED, "c", "r", NOW)


def test_a_failed_event_may_still_be_decided_and_a_decided_one_never_fails(stores: Stores) -> None:
    events = stores.events
    first, second = received(), received("other")
    for event in (first, second):
        events.record_received(event)
    assert events.record_decision(first.event_id, DecisionOutcome.FAILED, "undecidable", "x", NOW)
    assert events.record_decision(first.event_id, DecisionOutcome.ACTIVATED, "matched", "r", NOW)
    assert events.record_decision(second.event_id, DecisionOutcome.SUPPRESSED, "c", "r", NOW)
    assert not events.record_decision(second.event_id, DecisionOutcome.FAILED, "u", "x", NOW)
    outcomes = [events.get(event.event_id) for event in (first, second)]
    assert [record.outcome if record else None for record in outcomes] == [
        DecisionOutcome.ACTIVATED,
        DecisionOutcome.SUPPRESSED,
    ]


def test_the_largest_event_accepted_fits_its_record_and_its_timeline_entry(
    stores: Stores,
) -> None:
    """Stored as accepted (UTF-8, compact): 250 KB of non-ASCII text fits the 400 KB items,
    where six-byte escapes made it 1.5 MB and DynamoDB refused it."""
    big = received()
    event = replace(big.event, summary="Æ" * 1000, details={"note": "é" * 123_000})
    big = replace(big, event=event)
    stores.events.record_received(big)
    opened = stores.incidents.open(incident_for(big), big, VERDICT)
    assert opened.outcome is OpenOutcome.OPENED
    [entry] = [
        e for e in stores.incidents.timeline(opened.incident_id) if e.kind == "event_received"
    ]
    assert entry.data["event"]["details"] == {"note": "é" * 123_000}


def test_an_event_is_unqueued_until_marked_queued_or_decided(stores: Stores) -> None:
    """The never-queued sweep's index (the escalation index, its own partition): recorded
    events, until queued or decided, found only once older than asked; no incident is due."""
    events = stores.events
    queued, decided, left = received(), received("second"), received("third")
    for event in (queued, decided, left):
        events.record_received(event)
    later = NOW + timedelta(minutes=10)
    assert sorted(events.unqueued(later)) == sorted(e.event_id for e in (queued, decided, left))
    assert events.unqueued(NOW) == []  # none recorded before NOW
    events.mark_queued([queued.event_id])
    assert events.record_decision(decided.event_id, DecisionOutcome.SUPPRESSED, "c", "r", NOW)
    assert events.unqueued(later) == [left.event_id]
    opened = stores.incidents.open(incident_for(left), left, VERDICT)  # its decision, in the
    assert opened.outcome is OpenOutcome.OPENED  # transaction that opens its incident
    assert events.unqueued(later) == []
    assert stores.incidents.due(later + timedelta(days=1)) == []  # not an escalation's


def test_a_forgotten_event_is_gone(stores: Stores) -> None:
    event = received()
    stores.events.record_received(event)
    stores.events.forget(event.event_id)
    assert stores.events.get(event.event_id) is None


def test_a_created_incident_moves_only_from_the_status_it_is_in(stores: Stores) -> None:
    incidents = stores.incidents
    waiting = incident_for(
        received(), status=IncidentStatus.AWAITING_APPROVAL, dedup_key="manual:x"
    )
    requested = TimelineEntry(NOW, "activation_requested", "asked", key="requested")
    incidents.create(waiting, [requested])
    with pytest.raises(RuntimeError):
        incidents.create(waiting, [])
    approved = TimelineEntry(NOW + timedelta(minutes=2), "approved", "yes", key="approved")
    open_ = IncidentStatus.OPEN
    assert incidents.transition(
        waiting.incident_id, IncidentStatus.AWAITING_APPROVAL, open_, approved
    )
    assert not incidents.transition(
        waiting.incident_id, IncidentStatus.AWAITING_APPROVAL, IncidentStatus.CANCELLED, approved
    )
    assert not incidents.transition("inc_nothing", open_, IncidentStatus.CANCELLED, approved)
    stored = incidents.get(waiting.incident_id)
    assert stored is not None
    assert (stored.status, stored.updated_at) == (open_, NOW + timedelta(minutes=2))
    assert [e.kind for e in incidents.timeline(waiting.incident_id)] == [
        "activation_requested",
        "approved",
    ]


def test_the_first_send_is_recorded_by_one_call_only(stores: Stores) -> None:
    incidents = stores.incidents
    event = received()
    incidents.open(incident_for(event), event, VERDICT)
    incident_id = incident_for(event).incident_id
    first, later = NOW + timedelta(seconds=3), NOW + timedelta(seconds=4)
    assert incidents.mark_first_send(incident_id, first)
    assert not incidents.mark_first_send(incident_id, later)  # a concurrent batch loses
    assert not incidents.mark_first_send("inc_01M84STVCFS7F5J06PS8A3D6CA", first)  # none such
    stored = incidents.get(incident_id)
    assert stored is not None and stored.first_sent_at == first


def test_approvals_at_the_gate_count_each_person_once_and_leaving_it_drops_its_deadline(
    stores: Stores,
) -> None:
    incidents = stores.incidents
    deadline = NOW + timedelta(minutes=15)
    waiting = incident_for(
        received(),
        status=IncidentStatus.AWAITING_APPROVAL,
        dedup_key="manual:gate",
        response=ResponseState(policy_id=None, due_at=deadline),
    )
    incidents.create(waiting, [])
    assert incidents.due(deadline) == [waiting.incident_id]  # the gate's timeout is indexed
    incident_id = waiting.incident_id

    def said(who: str) -> TimelineEntry:
        return TimelineEntry(NOW, "approved", f"approved by {who}", key=f"approved-{who}")

    assert incidents.add_approval(incident_id, "c-bo", said("c-bo"))
    assert not incidents.add_approval(incident_id, "c-bo", said("c-bo"))  # once per person
    assert incidents.add_approval(incident_id, "c-dina", said("c-dina"))
    assert incidents.get(incident_id).approved_by == ("c-bo", "c-dina")
    assert not incidents.add_approval("inc_nothing", "c-bo", said("c-bo"))
    opened = TimelineEntry(NOW, "approved", "approved by c-dina", key="approved-c-dina")
    assert incidents.transition(
        incident_id, IncidentStatus.AWAITING_APPROVAL, IncidentStatus.OPEN, opened
    )
    assert incidents.due(deadline + timedelta(hours=1)) == []  # the deadline left the index
    assert not incidents.add_approval(incident_id, "c-ada", said("c-ada"))  # no longer waits
    assert [e.summary for e in incidents.timeline(incident_id)] == [
        "approved by c-bo",
        "approved by c-dina",
    ]


def test_closing_by_hand_needs_the_incident_open_under_its_dedup_key(stores: Stores) -> None:
    incidents = stores.incidents
    first = received()
    opened = incidents.open(incident_for(first), first, VERDICT)
    incident = incidents.get(opened.incident_id)
    assert incident is not None
    closing = TimelineEntry(NOW + timedelta(minutes=3), "resolved", "by hand", key="resolved")
    assert incidents.close(incident, closing) is True
    assert incidents.close(incident, closing) is False
    closed = incidents.get(opened.incident_id)
    assert closed is not None and closed.status is IncidentStatus.RESOLVED
    assert closed.resolved_at == NOW + timedelta(minutes=3)
    assert incidents.find_open("db-down") is None
    # An incident created by hand never took a dedup key: closing it by hand works, once.
    manual = incident_for(received(at=NOW), dedup_key="manual:y")
    incidents.create(manual, [])
    assert incidents.close(manual, closing) is True
    assert incidents.close(manual, closing) is False
    # A key held by another open incident is never freed by closing one that does not hold it.
    third = received(at=NOW + timedelta(minutes=4))
    holder = incidents.open(incident_for(third), third, VERDICT)
    impostor = incident_for(received(at=NOW + timedelta(minutes=5)), dedup_key="db-down")
    incidents.create(impostor, [])
    assert incidents.close(impostor, closing) is False
    assert incidents.find_open("db-down") == holder.incident_id


def test_the_response_state_moves_on_only_from_the_version_read(stores: Stores) -> None:
    incidents = stores.incidents
    start = ResponseState.starting("it-major", NOW)
    first = received()
    opened = incidents.open(incident_for(first, response=start), first, VERDICT)
    assert incidents.due(NOW) == [opened.incident_id]
    assert incidents.due(NOW - timedelta(seconds=1)) == []
    paged = replace(start, step=0, due_at=NOW + timedelta(minutes=5), paged=("c-fay",), version=1)
    entry = TimelineEntry(NOW, "paged", "paging c-fay", {"step": 0}, key="escalation-0")
    assert incidents.save_response(opened.incident_id, 0, paged, [entry]) is True
    assert incidents.save_response(opened.incident_id, 0, paged, [entry]) is False  # lost
    stored = incidents.get(opened.incident_id)
    assert stored is not None and stored.response == paged
    assert incidents.due(NOW + timedelta(minutes=4)) == []
    assert incidents.due(NOW + timedelta(minutes=5)) == [opened.incident_id]
    acknowledged = replace(paged, stopped=Stop.ACKNOWLEDGED, due_at=None, version=2)
    assert incidents.save_response(opened.incident_id, 1, acknowledged, []) is True
    assert incidents.due(NOW + timedelta(days=1)) == []
    assert incidents.save_response("inc_nothing", 0, paged, []) is False


def test_the_escalation_index_forgets_resolved_incidents_and_keeps_its_order(
    stores: Stores,
) -> None:
    incidents = stores.incidents
    ids = []
    for minute, key in ((3, "late"), (1, "early"), (2, "middle")):
        event = received(key, at=NOW)
        due = ResponseState.starting("p", NOW + timedelta(minutes=minute))
        ids.append(incidents.open(incident_for(event, response=due), event, VERDICT).incident_id)
    late, early, middle = ids
    assert incidents.due(NOW + timedelta(minutes=5)) == [early, middle, late]
    assert incidents.due(NOW + timedelta(minutes=5), limit=2) == [early, middle]
    assert incidents.resolve(middle, received("middle", action="resolve"), NOW)
    assert incidents.due(NOW + timedelta(minutes=5)) == [early, late]
    with_entry = incidents.get(middle)
    assert with_entry is not None and with_entry.response.due_at is not None  # kept as it was
    assert incidents.save_response(middle, 0, with_entry.response, []) is False  # not open


def test_reassessing_raises_an_open_incident_only_from_what_was_read(stores: Stores) -> None:
    incidents = stores.incidents
    first = received()
    opened = incidents.open(
        incident_for(first, response=ResponseState.starting("it-major", NOW)), first, VERDICT
    )
    before = incidents.get(opened.incident_id)
    assert before is not None
    later = NOW + timedelta(minutes=1)
    state = replace(before.response, policy_id="crisis-core", version=before.response.version + 1)
    after = replace(
        before,
        severity=Severity.CRITICAL,
        rule_id="r-higher",
        plan_id="p-bigger",
        playbook_version=3,
        response=state,
        updated_at=later,
    )
    entry = TimelineEntry(later, "reassessed", "raised", {"event_id": "e"}, key="reassessed-e")
    assert incidents.reassess(before, after, entry) is True
    assert incidents.reassess(before, after, entry) is False  # no longer as read
    stored = incidents.get(opened.incident_id)
    assert stored is not None
    assert (stored.severity, stored.rule_id, stored.plan_id, stored.playbook_version) == (
        Severity.CRITICAL,
        "r-higher",
        "p-bigger",
        3,
    )
    assert stored.response.policy_id == "crisis-core"
    assert incidents.due(later) == [opened.incident_id]  # still due: the policy switched
    assert [e.kind for e in incidents.timeline(opened.incident_id)].count("reassessed") == 1
    incidents.resolve(opened.incident_id, received(action="resolve", at=later), later)
    assert incidents.reassess(stored, replace(after, severity=Severity.HIGH), entry) is False


def test_a_held_event_waits_in_the_due_index_until_decided(stores: Stores) -> None:
    events = stores.events
    first, second, decided = received("k"), received("k"), received("other")
    for event in (first, second, decided):
        events.record_received(event)
    # In the rule's zone, as the verdict gives it: the index still orders it by the instant.
    opens = (NOW + timedelta(hours=5)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert events.hold(first, "held", "held until 08:00", NOW, opens)
    assert events.hold(second, "held", "held until 09:00", NOW, opens + timedelta(hours=1))
    assert events.record_decision(decided.event_id, DecisionOutcome.SUPPRESSED, "c", "r", NOW)
    assert not events.hold(decided, "held", "r", NOW, opens)  # decided already
    record = events.get(first.event_id)
    assert record is not None
    assert (record.outcome, record.code, record.decide_at) == (DecisionOutcome.HELD, "held", opens)
    assert events.held_due(opens - timedelta(seconds=1)) == []
    assert [r.event_id for r in events.held_due(opens)] == [first.event_id]
    assert events.held_due(opens)[0] == first  # as received, with its namespace
    assert events.held_for(first.scoped_dedup_key) == sorted([first.event_id, second.event_id])
    assert events.held_for("nothing") == []
    assert events.record_decision(first.event_id, DecisionOutcome.ACTIVATED, "matched", "r", opens)
    assert events.held_due(opens + timedelta(days=1)) == [second]
    assert events.held_for(first.scoped_dedup_key) == [second.event_id]
