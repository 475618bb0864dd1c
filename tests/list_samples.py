"""Incidents and events of every kind, a minute apart, stored as Tocsin stores them: what the
list tests page through. Each sample's attributes cycle independently, so every filter matches
several items spread through the list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from chalicelib.core.activation.ports import EventStore
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_ulid
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    Severity,
)
from chalicelib.core.ports import IncidentStore

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TYPES = ("it.outage", "cyber.data_breach", "natural.earthquake")
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
PLANS = ("crisis-cell", "it-major-incident")
STATUSES = (IncidentStatus.OPEN, IncidentStatus.RESOLVED, IncidentStatus.RESOLVED)
KINDS = (EventStatus.ACTUAL, EventStatus.ACTUAL, EventStatus.ACTUAL, EventStatus.EXERCISE)
SOURCES = ("prometheus-prod", "soc.example.com")
OUTCOMES = (
    DecisionOutcome.ACTIVATED,
    DecisionOutcome.SUPPRESSED,
    DecisionOutcome.PENDING,
    DecisionOutcome.SUPPRESSED,
    DecisionOutcome.UPDATED,
)


def sample_incidents(count: int, start: datetime = START) -> list[Incident]:
    incidents = []
    for number in range(count):
        opened = start + timedelta(minutes=number)
        status = STATUSES[number % len(STATUSES)]
        incidents.append(
            Incident(
                incident_id=f"inc_{new_ulid(opened)}",
                status=status,
                title=f"Sample incident {number}",
                type=TYPES[number % len(TYPES)],
                severity=SEVERITIES[number % len(SEVERITIES)],
                event_status=KINDS[number % len(KINDS)],
                dedup_key=f"sample-{number}",
                rule_id="sample-rule",
                plan_id=PLANS[number % len(PLANS)],
                opened_at=opened,
                updated_at=opened,
                resolved_at=opened + timedelta(hours=1)
                if status is IncidentStatus.RESOLVED
                else None,
            )
        )
    return incidents


def store_incidents(store: IncidentStore, incidents: Sequence[Incident]) -> None:
    for incident in incidents:
        store.create(incident, [])


def sample_events(
    count: int, start: datetime = START
) -> list[tuple[ReceivedEvent, DecisionOutcome]]:
    events = []
    for number in range(count):
        at = start + timedelta(minutes=number)
        event = parse_event(
            {
                "source": SOURCES[number % len(SOURCES)],
                "type": TYPES[number % len(TYPES)],
                "severity": SEVERITIES[number % len(SEVERITIES)].value,
                "status": KINDS[number % len(KINDS)].value,
                "summary": f"Sample event {number}",
            }
        )
        received = ReceivedEvent(f"evt_{new_ulid(at)}", at, event)
        events.append((received, OUTCOMES[number % len(OUTCOMES)]))
    return events


def store_events(
    store: EventStore, events: Sequence[tuple[ReceivedEvent, DecisionOutcome]]
) -> None:
    for received, outcome in events:
        store.record_received(received)
        if outcome is not DecisionOutcome.PENDING:
            store.record_decision(
                received.event_id,
                outcome,
                outcome.value,
                f"sample {outcome.value}",
                received.received_at + timedelta(seconds=5),
            )
