"""In-memory fakes of the watching ports (no mock.patch). The stores keep the same conditional
rules as their DynamoDB adapters: ``tests/functional/test_watch_stores.py`` runs one contract
suite against both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_event_id
from chalicelib.core.model import (
    Channel,
    Contact,
    DecisionOutcome,
    Incident,
    IncidentStatus,
    NotificationJob,
    ReceivedEvent,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.watch.ports import CanaryRound, CanaryState, HeartbeatState

RECENT_ROUNDS = 5


class MemoryHeartbeatStore:
    def __init__(self) -> None:
        self.items: dict[str, HeartbeatState] = {}

    def states(self, heartbeat_ids: Sequence[str]) -> dict[str, HeartbeatState]:
        return {i: self.items[i] for i in heartbeat_ids if i in self.items}

    def watch(self, heartbeat_id: str, now: datetime) -> HeartbeatState:
        state = self.items.get(heartbeat_id) or HeartbeatState(heartbeat_id, now)
        return self._put(state)

    def ping(self, heartbeat_id: str, now: datetime, key_name: str) -> HeartbeatState:
        state = self.items.get(heartbeat_id) or HeartbeatState(heartbeat_id, now)
        return self._put(replace(state, last_ping_at=now, last_key=key_name, pings=state.pings + 1))

    def mark_missed(self, heartbeat_id: str, seen_version: int, now: datetime) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.version != seen_version or state.missed_at is not None:
            return False
        self._put(replace(state, missed_at=now, missed_event_id=None))
        return True

    def missed_sent(self, heartbeat_id: str, missed_at: datetime, event_id: str) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.missed_at != missed_at:
            return False
        self._put(replace(state, missed_event_id=event_id))
        return True

    def clear_missed(self, heartbeat_id: str, missed_at: datetime) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.missed_at != missed_at:
            return False
        self._put(replace(state, missed_at=None, missed_event_id=None))
        return True

    def _put(self, state: HeartbeatState) -> HeartbeatState:
        self.items[state.heartbeat_id] = replace(state, version=state.version + 1)
        return self.items[state.heartbeat_id]


class MemoryCanaryRounds:
    def __init__(self) -> None:
        self.rounds: dict[tuple[str, datetime], CanaryRound] = {}
        self.states: dict[str, CanaryState] = {}

    def begin(self, started: CanaryRound) -> bool:
        key = (started.canary_id, started.started_at)
        if key in self.rounds:
            return False
        self.rounds[key] = started
        return True

    def recent_rounds(self, canary_id: str) -> list[CanaryRound]:
        mine = sorted(
            (r for (c, _), r in self.rounds.items() if c == canary_id), key=lambda r: r.started_at
        )
        return mine[-RECENT_ROUNDS:]

    def judged(self, canary_id: str, started_at: datetime, verdict: Mapping[str, str]) -> bool:
        found = self.rounds.get((canary_id, started_at))
        if found is None or found.verdict is not None:
            return False
        self.rounds[(canary_id, started_at)] = replace(found, verdict=dict(verdict))
        return True

    def state(self, canary_id: str) -> CanaryState:
        return self.states.get(canary_id, CanaryState())

    def save_state(self, canary_id: str, failing: frozenset[Channel], seen_version: int) -> bool:
        if self.state(canary_id).version != seen_version:
            return False
        self.states[canary_id] = CanaryState(failing, seen_version + 1)
        return True


@dataclass
class RecordingIntake:
    """Accepts events as the ingest service does (validated, given ids) and keeps them;
    ``fail_next`` makes the next call fail as an unreachable queue does."""

    clock: Any
    received: list[ReceivedEvent] = field(default_factory=list)
    fail_next: int = 0

    def accept_many(
        self, documents: Sequence[Any], format: str = "tocsin", original: Any = None
    ) -> list[ReceivedEvent]:
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("SQS: ServiceUnavailable")
        now = self.clock.now()
        accepted = [
            ReceivedEvent(new_event_id(now), now, parse_event(document), format, original)
            for document in documents
        ]
        self.received += accepted
        return accepted

    def actions(self) -> list[tuple[str, str | None]]:
        return [(r.event.action.value, r.event.dedup_key) for r in self.received]


@dataclass(frozen=True)
class Decided:
    outcome: DecisionOutcome


class MemoryDecisions:
    """What the evaluator decided, event by event (PENDING until the test decides it)."""

    def __init__(self, intake: RecordingIntake) -> None:
        self._intake = intake
        self.outcomes: dict[str, DecisionOutcome] = {}

    def get(self, event_id: str) -> Decided | None:
        if not any(r.event_id == event_id for r in self._intake.received):
            return None
        return Decided(self.outcomes.get(event_id, DecisionOutcome.PENDING))

    def decide_all(self, outcome: DecisionOutcome = DecisionOutcome.ACTIVATED) -> None:
        for received in self._intake.received:
            self.outcomes.setdefault(received.event_id, outcome)


class StaticPlaybooks:
    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook

    def load(self) -> Playbook:
        return self.playbook

    def load_version(self, version: int) -> Playbook:
        return self.playbook


class MemoryIncidents:
    """The part of the incident store a canary round uses."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.entries: dict[str, dict[str, TimelineEntry]] = {}

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None:
        if incident.incident_id in self.incidents:
            raise RuntimeError(f"incident {incident.incident_id} exists already")
        self.incidents[incident.incident_id] = incident
        self.entries[incident.incident_id] = {}
        self.append(incident.incident_id, entries)

    def get(self, incident_id: str) -> Incident | None:
        return self.incidents.get(incident_id)

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            name = entry.key or f"{entry.at.isoformat()}-{len(self.entries[incident_id])}"
            self.entries[incident_id][name] = entry

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        return sorted(self.entries.get(incident_id, {}).values(), key=lambda e: e.at)

    def close(self, incident: Incident, entry: TimelineEntry) -> bool:
        found = self.incidents.get(incident.incident_id)
        if found is None or found.status is not IncidentStatus.OPEN:
            return False
        self.incidents[incident.incident_id] = replace(
            found, status=IncidentStatus.RESOLVED, resolved_at=entry.at
        )
        self.append(incident.incident_id, [entry])
        return True


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[NotificationJob] = []

    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None:
        self.jobs += jobs


class MemoryDirectory:
    def __init__(self, *contacts: Contact) -> None:
        self.contacts = {contact.contact_id: contact for contact in contacts}

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        return {i: self.contacts[i] for i in contact_ids if i in self.contacts}

    def members(self, roles: Sequence[str], teams: Sequence[str] = ()) -> list[Contact]:
        return [c for c in self.contacts.values() if set(c.roles) & set(roles)]


class RecordingOperationsTopic:
    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []
        self.fail_next = 0

    def tell(self, subject: str, message: str) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("SNS: Throttling")
        self.told.append((subject, message))
