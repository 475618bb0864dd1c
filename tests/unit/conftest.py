"""The example organisation in memory (``policies/`` and ``examples/contacts.csv`` on the fakes),
for the use cases' unit tests: no AWS, no moto, no sockets.

Wednesday 2 December 2026, 03:00 in Copenhagen: the office layer of the it-duty schedule is off
duty, and week 47 of the weekly rotation [c-chen, c-fay] belongs to Fay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.activation.intake import Sender
from chalicelib.core.model import Incident, ReceivedEvent
from fakes import MemoryWorld
from tests.conftest import PROJECT

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
ADA, BO, CHEN, DINA, FAY = (f"+1202555010{n}" for n in range(1, 6))
OUTAGE = {
    "source": "monitoring",
    "type": "it.outage",
    "severity": "critical",
    "summary": "Payments API down",
    "dedup_key": "payments-down",
}
DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


@pytest.fixture
def org() -> MemoryWorld:
    return MemoryWorld.example(NIGHT)


SENDER = Sender(namespace="test")  # a key named test, as the edge would establish it


def post(org: MemoryWorld, document: dict[str, Any], **fields: Any) -> ReceivedEvent:
    """POST /v1/events, then what the queue handlers do with it."""
    received = org.ingest.accept({**document, **fields}, SENDER)
    org.run_queues()
    return received


def incident_of(org: MemoryWorld, received: ReceivedEvent) -> Incident:
    record = org.events.get(received.event_id)
    assert record is not None and record.incident_id is not None, record
    incident = org.incidents.get(record.incident_id)
    assert incident is not None
    return incident


def texts(org: MemoryWorld, phone: str) -> list[str]:
    return [message.body for message in org.sms.to(phone)]


def inboxes(org: MemoryWorld) -> list[str]:
    """Who got email, in order."""
    return [sent.destination for sent in org.email.sent]


def story(org: MemoryWorld, incident_id: str, *kinds: str) -> list[str]:
    """The incident's timeline as the API shows it: its summaries (of ``kinds`` only)."""
    return [
        entry.summary
        for entry in org.incidents.timeline(incident_id)
        if not kinds or entry.kind in kinds
    ]
