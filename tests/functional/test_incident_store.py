"""Opening, joining and resolving incidents in DynamoDB: never two for one dedup key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3

from chalicelib.core.events import parse_event
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import (
    EventStatus,
    Incident,
    IncidentStatus,
    Link,
    ReceivedEvent,
    Severity,
    TimelineEntry,
)
from chalicelib.core.ports import OpenOutcome
from chalicelib.core.verdicts import Verdict
from chalicelib.settings import Settings
from chalicelib.storage.events import DynamoEventStore
from chalicelib.storage.incidents import DynamoIncidentStore

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


def incident_for(event: ReceivedEvent) -> Incident:
    return Incident(
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


def stores(
    world: boto3.Session, settings: Settings
) -> tuple[DynamoIncidentStore, DynamoEventStore]:
    client = world.client("dynamodb")
    return (
        DynamoIncidentStore(client, settings.incidents_table),
        DynamoEventStore(client, settings.incidents_table),
    )


def test_the_opening_events_links_are_kept_with_the_incident(
    world: boto3.Session, settings: Settings
) -> None:
    incidents, _ = stores(world, settings)
    event = received()
    links = (Link("https://status.example.com/db", "Status page"), Link("https://x.example.com"))
    opened = incidents.open(replace(incident_for(event), links=links), event, VERDICT)
    stored = incidents.get(opened.incident_id)
    assert stored is not None and stored.links == links


def test_opens_once_and_recognises_its_own_redelivery(
    world: boto3.Session, settings: Settings
) -> None:
    incidents, events = stores(world, settings)
    first = received()
    events.record_received(first)
    assert incidents.open(incident_for(first), first, VERDICT).outcome is OpenOutcome.OPENED
    again = incidents.open(incident_for(first), first, VERDICT)
    assert again.outcome is OpenOutcome.REDELIVERED
    record = events.get(first.event_id)
    assert record is not None and record.incident_id == again.incident_id


def test_a_second_trigger_with_the_same_key_joins_and_is_counted_once(
    world: boto3.Session, settings: Settings
) -> None:
    incidents, _ = stores(world, settings)
    first, second = received(), received(at=NOW + timedelta(seconds=5))
    opened = incidents.open(incident_for(first), first, VERDICT)
    joined = incidents.open(incident_for(second), second, VERDICT)
    assert (joined.outcome, joined.incident_id) == (OpenOutcome.JOINED, opened.incident_id)
    assert incidents.join(opened.incident_id, second, NOW) is True
    assert incidents.join(opened.incident_id, second, NOW) is False  # redelivered: not twice
    stored = incidents.get(opened.incident_id)
    assert stored is not None and stored.event_count == 2


def test_resolving_frees_the_dedup_key_for_a_new_incident(
    world: boto3.Session, settings: Settings
) -> None:
    incidents, _ = stores(world, settings)
    first = received()
    opened = incidents.open(incident_for(first), first, VERDICT)
    assert incidents.resolve(opened.incident_id, received(action="resolve"), NOW) is True
    assert incidents.resolve(opened.incident_id, received(action="resolve"), NOW) is False
    resolved = incidents.get(opened.incident_id)
    assert resolved is not None and resolved.status is IncidentStatus.RESOLVED
    assert incidents.find_open("db-down") is None
    later = received(at=NOW + timedelta(minutes=5))
    reopened = incidents.open(incident_for(later), later, VERDICT)
    assert reopened.outcome is OpenOutcome.OPENED
    assert reopened.incident_id != opened.incident_id


def test_keyed_timeline_entries_are_written_once(world: boto3.Session, settings: Settings) -> None:
    incidents, _ = stores(world, settings)
    first = received()
    opened = incidents.open(incident_for(first), first, VERDICT)
    for minute in range(3):
        incidents.append(
            opened.incident_id,
            [TimelineEntry(NOW + timedelta(minutes=minute), "planned", "3 planned", key="planned")],
        )
    kinds = [entry.kind for entry in incidents.timeline(opened.incident_id)]
    assert kinds == ["event_received", "activated", "planned"]


def test_decisions_are_recorded_once(world: boto3.Session, settings: Settings) -> None:
    from chalicelib.core.model import DecisionOutcome

    _, events = stores(world, settings)
    event = received()
    events.record_received(event)
    assert events.record_decision(event.event_id, DecisionOutcome.SUPPRESSED, "c", "r", NOW)
    assert not events.record_decision(event.event_id, DecisionOutcome.UPDATED, "c", "r", NOW)
    record = events.get(event.event_id)
    assert record is not None and record.outcome is DecisionOutcome.SUPPRESSED
