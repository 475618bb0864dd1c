"""In-memory stand-ins for the ports the budget touches, sharing state as the DynamoDB adapters
share the incidents table, behind one lock so several dispatchers can run in threads.

``MemorySpendCounters``, ``MemoryHoldStore`` and ``MemorySendLedger`` are proven against their
DynamoDB adapters by one contract suite (tests/functional/test_spend_contracts.py). The others
(incidents, events, directory, queues) are the plainest faithful versions the budget's use cases
need, so a storm of a thousand events runs in seconds instead of the hours moto takes.
(Issue #16 brings a fake of every port; these can move there.)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chalicelib.core.activation.ports import EventRecord
from chalicelib.core.ids import new_ulid
from chalicelib.core.messaging.passes import ResponderPass
from chalicelib.core.model import (
    Channel,
    Contact,
    DecisionOutcome,
    Incident,
    IncidentStatus,
    Message,
    Notice,
    NotificationJob,
    ReceivedEvent,
    ResponseState,
    SendReceipt,
    TimelineEntry,
)
from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.ports import HistorySnapshot, OpenOutcome, OpenResult
from chalicelib.core.spend.ports import (
    MAX_HELD_PER_ADD,
    AddOutcome,
    HeldMessage,
    Hold,
    HoldState,
)
from chalicelib.core.verdicts import Activation, History, Verdict
from chalicelib.storage.spending import fit


class Tables:
    """What the DynamoDB tables hold, in memory: one lock for every change."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.events: dict[str, EventRecord] = {}
        self.incidents: dict[str, Incident] = {}
        self.timelines: dict[str, dict[str, TimelineEntry]] = {}
        self.dedup: dict[str, str] = {}
        self.logs: dict[tuple[str, str], tuple[int, list[Activation]]] = {}
        self.ledger: dict[tuple[str, str], dict[str, object]] = {}
        self.counters: dict[tuple[str, datetime], tuple[int, int]] = {}
        self.pages: dict[datetime, str] = {}
        self.holds: dict[str, Hold] = {}
        self.open_holds: dict[str, str] = {}

    def write_entry(self, incident_id: str, entry: TimelineEntry) -> None:
        key = f"K#{entry.key}" if entry.key else f"T#{entry.at.isoformat()}#{new_ulid(entry.at)}"
        self.timelines.setdefault(incident_id, {})[key] = entry


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class MemoryEventStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def record_received(self, received: ReceivedEvent) -> None:
        with self._t.lock:
            self._t.events[received.event_id] = EventRecord(
                received.event_id, received.received_at, DecisionOutcome.PENDING
            )

    def forget(self, event_id: str) -> None:
        with self._t.lock:
            self._t.events.pop(event_id, None)

    def get(self, event_id: str) -> EventRecord | None:
        return self._t.events.get(event_id)

    def record_decision(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        now: datetime,
        incident_id: str | None = None,
    ) -> bool:
        with self._t.lock:
            record = self._t.events.get(event_id)
            if record is None or record.outcome is not DecisionOutcome.PENDING:
                return False
            self._decide(event_id, outcome, code, reason, now, incident_id)
            return True

    def _decide(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        now: datetime,
        incident_id: str | None,
    ) -> None:
        record = self._t.events[event_id]
        self._t.events[event_id] = replace(
            record,
            outcome=outcome,
            code=code,
            reason=reason,
            incident_id=incident_id,
            decided_at=now,
        )


class MemoryIncidentStore:
    """The incident store as storage/incidents.py keeps it: dedup pointers, activation logs
    versioned, keyed timeline entries written once, conditional state changes."""

    def __init__(self, tables: Tables, events: MemoryEventStore) -> None:
        self._t = tables
        self._events = events

    def open(
        self,
        incident: Incident,
        received: ReceivedEvent,
        verdict: Verdict,
        snapshot: HistorySnapshot | None = None,
    ) -> OpenResult:
        with self._t.lock:
            existing = self._t.dedup.get(incident.dedup_key)
            if existing == incident.incident_id:
                return OpenResult(OpenOutcome.REDELIVERED, existing)
            if existing is not None:
                return OpenResult(OpenOutcome.JOINED, existing)
            if snapshot is not None and (
                self._version("RULE", snapshot.rule_id) != snapshot.rule_version
                or self._version("KEY", snapshot.dedup_key) != snapshot.key_version
            ):
                return OpenResult(OpenOutcome.CONTENDED, incident.incident_id)
            self._t.dedup[incident.dedup_key] = incident.incident_id
            self._t.incidents[incident.incident_id] = incident
            self._t.write_entry(incident.incident_id, _received(received))
            self._t.write_entry(
                incident.incident_id,
                TimelineEntry(
                    incident.opened_at,
                    "activated",
                    f"incident opened: {verdict.reason}",
                    {"rule_id": verdict.rule_id, "plan_id": verdict.plan_id},
                    key="activated",
                ),
            )
            self._events._decide(
                received.event_id,
                DecisionOutcome.ACTIVATED,
                verdict.code,
                verdict.reason,
                incident.opened_at,
                incident.incident_id,
            )
            if snapshot is not None:
                now = Activation(at=received.received_at, incident_id=incident.incident_id)
                for kind, name in (("RULE", snapshot.rule_id), ("KEY", snapshot.dedup_key)):
                    version, entries = self._t.logs.get((kind, name), (0, []))
                    self._t.logs[(kind, name)] = (version + 1, [*entries, now])
            return OpenResult(OpenOutcome.OPENED, incident.incident_id)

    def _version(self, kind: str, name: str) -> int:
        return self._t.logs.get((kind, name), (0, []))[0]

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot:
        with self._t.lock:
            rule_version, rule = self._t.logs.get(("RULE", rule_id), (0, []))
            key_version, key = self._t.logs.get(("KEY", dedup_key), (0, []))
            return HistorySnapshot(
                rule_id,
                dedup_key,
                History(rule=tuple(rule), key=tuple(key)),
                rule_version,
                key_version,
                keep,
            )

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None:
        with self._t.lock:
            if incident.incident_id in self._t.incidents:
                raise RuntimeError(f"incident {incident.incident_id} exists already")
            self._t.incidents[incident.incident_id] = incident
            for entry in entries:
                self._t.write_entry(incident.incident_id, entry)

    def transition(
        self,
        incident_id: str,
        from_status: IncidentStatus,
        to_status: IncidentStatus,
        entry: TimelineEntry,
    ) -> bool:
        with self._t.lock:
            incident = self._t.incidents.get(incident_id)
            if incident is None or incident.status is not from_status:
                return False
            self._t.incidents[incident_id] = replace(
                incident, status=to_status, updated_at=entry.at
            )
            self._t.write_entry(incident_id, entry)
            return True

    def join(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        with self._t.lock:
            incident = self._t.incidents.get(incident_id)
            key = f"K#event-{received.event_id}"
            if incident is None or incident.status is not IncidentStatus.OPEN:
                return False
            if key in self._t.timelines.get(incident_id, {}):
                return False
            self._t.incidents[incident_id] = replace(
                incident, event_count=incident.event_count + 1, updated_at=now
            )
            self._t.write_entry(incident_id, _received(received))
            return True

    def find_open(self, dedup_key: str) -> str | None:
        return self._t.dedup.get(dedup_key)

    def resolve(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        with self._t.lock:
            incident = self._t.incidents.get(incident_id)
            if incident is None or incident.status is not IncidentStatus.OPEN:
                return False
            self._close(incident, now)
            self._t.write_entry(incident_id, _received(received))
            self._t.write_entry(
                incident_id,
                TimelineEntry(
                    now,
                    "resolved",
                    f"resolved by {received.event.source}",
                    {"event_id": received.event_id},
                    key=f"resolved-{received.event_id}",
                ),
            )
            self._events._decide(
                received.event_id,
                DecisionOutcome.RESOLVED,
                "resolve",
                f"resolved by {received.event.source}",
                now,
                incident_id,
            )
            return True

    def close(self, incident: Incident, entry: TimelineEntry) -> bool:
        with self._t.lock:
            stored = self._t.incidents.get(incident.incident_id)
            if stored is None or stored.status is not IncidentStatus.OPEN:
                return False
            self._close(stored, entry.at)
            self._t.write_entry(incident.incident_id, entry)
            return True

    def _close(self, incident: Incident, now: datetime) -> None:
        self._t.incidents[incident.incident_id] = replace(
            incident,
            status=IncidentStatus.RESOLVED,
            resolved_at=now,
            updated_at=now,
            response=replace(incident.response, due_at=None),
        )
        if self._t.dedup.get(incident.dedup_key) == incident.incident_id:
            del self._t.dedup[incident.dedup_key]

    def get(self, incident_id: str) -> Incident | None:
        return self._t.incidents.get(incident_id)

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        with self._t.lock:
            entries = list(self._t.timelines.get(incident_id, {}).values())
        return sorted(entries, key=lambda entry: entry.at)

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        with self._t.lock:
            for entry in entries:
                self._t.write_entry(incident_id, entry)

    def save_response(
        self, incident_id: str, seen: int, state: ResponseState, entries: Sequence[TimelineEntry]
    ) -> bool:
        with self._t.lock:
            incident = self._t.incidents.get(incident_id)
            if incident is None or incident.status is not IncidentStatus.OPEN:
                return False
            if incident.response.version != seen:
                return False
            self._t.incidents[incident_id] = replace(incident, response=state)
            for entry in entries:
                self._t.write_entry(incident_id, entry)
            return True

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        due = [
            incident.incident_id
            for incident in self._t.incidents.values()
            if incident.status is IncidentStatus.OPEN and incident.response.is_due(now)
        ]
        return due[:limit]


def _received(received: ReceivedEvent) -> TimelineEntry:
    event = received.event
    return TimelineEntry(
        received.received_at,
        "event_received",
        f"{event.action.value} received from {event.source}: {event.summary}",
        {"event_id": received.event_id},
        key=f"event-{received.event_id}",
    )


class MemorySendLedger:
    """The send ledger's states and transitions, as storage/ledger.py and storage/holds.py
    write them on one item per (incident, job)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> bool:
        with self._t.lock:
            key = (job.incident_id, job.ledger_name)
            item = self._t.ledger.get(key)
            status = item["status"] if item else None
            allowed = (
                item is None
                or status == "retryable"
                or (status == "sending" and item["claimed_at"] < stale_before)  # type: ignore[operator]
                or (job.hold is not None and status == "held" and item["hold_id"] == job.hold)
            )
            if not allowed:
                return False
            self._t.ledger[key] = {
                **(item or {}),
                "status": "sending",
                "claimed_at": now,
                "job": job,
            }
            return True

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None:
        with self._t.lock:
            item = self._t.ledger[(job.incident_id, job.ledger_name)]
            item.update(status="sent", message_id=receipt.message_id)
            self._t.write_entry(job.incident_id, entry)

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None:
        with self._t.lock:
            item = self._t.ledger[(job.incident_id, job.ledger_name)]
            item.update(status="retryable" if retryable else "failed")
            self._t.write_entry(job.incident_id, entry)

    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        with self._t.lock:
            found: dict[tuple[str, Channel], None] = {}
            for (incident, _), item in self._t.ledger.items():
                job = item["job"]
                assert isinstance(job, NotificationJob)
                sent = incident == incident_id and item["status"] == "sent"
                if sent and job.notice is Notice.ALERT:
                    found[(job.contact_id, job.channel)] = None
            return list(found)

    def status(self, job: NotificationJob) -> str | None:
        item = self._t.ledger.get((job.incident_id, job.ledger_name))
        return str(item["status"]) if item else None


class MemorySpendCounters:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def take(self, meter: str, window: datetime, asks: Sequence[int], limit: ChannelBudget) -> int:
        with self._t.lock:  # what a conditional update does in one step
            messages, units = self._t.counters.get((meter, window), (0, 0))
            granted = fit(asks, messages, units, limit)
            if granted:
                self._t.counters[(meter, window)] = (
                    messages + granted,
                    units + sum(asks[:granted]),
                )
            return granted

    def claim_page(self, window: datetime, incident_id: str) -> str:
        with self._t.lock:
            return self._t.pages.setdefault(window, incident_id)

    def used(self, meter: str, window: datetime) -> tuple[int, int]:
        return self._t.counters.get((meter, window), (0, 0))


class MemoryHoldStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def open_hold(self, incident_id: str, now: datetime) -> str:
        with self._t.lock:
            found = self._t.open_holds.get(incident_id)
            if found is not None:
                return found
            hold_id = f"hld_{new_ulid(now)}"
            self._t.holds[hold_id] = Hold(hold_id, incident_id, HoldState.HELD, now)
            self._t.open_holds[incident_id] = hold_id
            return hold_id

    def add(
        self,
        hold_id: str,
        incident_id: str,
        held: Sequence[HeldMessage],
        entry: TimelineEntry,
        require_open: bool,
    ) -> AddOutcome:
        if len(held) > MAX_HELD_PER_ADD:
            raise ValueError(f"at most {MAX_HELD_PER_ADD} messages are held at once")
        with self._t.lock:
            hold = self._t.holds[hold_id]
            if hold.state is not HoldState.HELD:
                return AddOutcome.SETTLED
            incident = self._t.incidents.get(incident_id)
            if require_open and (incident is None or incident.status is not IncidentStatus.OPEN):
                return AddOutcome.INCIDENT_CLOSED
            items = [self._t.ledger.get((incident_id, m.job.ledger_name)) for m in held]
            if any(item is None or item["status"] != "sending" for item in items):
                raise RuntimeError("a claim changed hands")  # the adapter: TransientError
            messages, units = dict(hold.messages), dict(hold.units)
            for message, item in zip(held, items, strict=True):
                assert item is not None
                item.update(status="held", hold_id=hold_id, job=replace(message.job, hold=None))
                channel = message.job.channel
                messages[channel] = messages.get(channel, 0) + 1
                units[channel] = units.get(channel, 0) + message.charge.units
            usd = hold.estimated_usd + sum(message.charge.usd for message in held)
            self._t.holds[hold_id] = replace(
                hold, messages=messages, units=units, estimated_usd=round(usd, 10)
            )
            self._t.write_entry(incident_id, entry)
            return AddOutcome.ADDED

    def get(self, hold_id: str) -> Hold | None:
        return self._t.holds.get(hold_id)

    def recent(self, state: HoldState | None = None, limit: int = 100) -> list[Hold]:
        with self._t.lock:
            holds = sorted(self._t.holds.values(), key=lambda h: h.hold_id, reverse=True)
        return [hold for hold in holds if state is None or hold.state is state][:limit]

    def open_for(self, incident_id: str) -> str | None:
        return self._t.open_holds.get(incident_id)

    def settle(self, hold_id: str, state: HoldState, by: str, now: datetime) -> Hold | None:
        with self._t.lock:
            hold = self._t.holds.get(hold_id)
            if hold is None or hold.state is not HoldState.HELD:
                return None
            settled = replace(hold, state=state, settled_at=now, settled_by=by)
            self._t.holds[hold_id] = settled
            if self._t.open_holds.get(hold.incident_id) == hold_id:
                del self._t.open_holds[hold.incident_id]
            return settled

    def held_jobs(self, hold_id: str) -> list[NotificationJob]:
        with self._t.lock:
            return [
                replace(item["job"], hold=hold_id)  # type: ignore[type-var]
                for item in self._t.ledger.values()
                if item["status"] == "held" and item.get("hold_id") == hold_id
            ]

    def mark_queued(self, hold_id: str, now: datetime) -> None:
        with self._t.lock:
            self._t.holds[hold_id] = replace(self._t.holds[hold_id], queued=True)

    def cancel_messages(self, hold_id: str, now: datetime) -> int:
        with self._t.lock:
            cancelled = 0
            for item in self._t.ledger.values():
                if item["status"] == "held" and item.get("hold_id") == hold_id:
                    item["status"] = "cancelled"
                    cancelled += 1
            return cancelled


class MemoryDirectory:
    def __init__(self, contacts: Sequence[Contact]) -> None:
        self._contacts = {contact.contact_id: contact for contact in contacts}

    def members(self, roles: Sequence[str], teams: Sequence[str] = ()) -> list[Contact]:
        return [
            contact
            for contact in self._contacts.values()
            if set(contact.roles) & set(roles) or set(contact.teams) & set(teams)
        ]

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        return {cid: self._contacts[cid] for cid in contact_ids if cid in self._contacts}


class MemoryPlaybooks:
    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook

    def load(self) -> Playbook:
        return self.playbook

    def load_version(self, version: int) -> Playbook:
        return self.playbook


@dataclass
class MemoryQueue:
    """Both queues: jobs travel as the SQS adapter sends them (50 a message per incident)."""

    events: list[ReceivedEvent] = field(default_factory=list)
    messages: list[tuple[str, list[NotificationJob]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put_many(self, received: Sequence[ReceivedEvent]) -> None:
        self.events += received

    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None:
        by_incident: dict[str, list[NotificationJob]] = {}
        for job in jobs:
            by_incident.setdefault(job.incident_id, []).append(job)
        with self.lock:
            for incident_id, incident_jobs in by_incident.items():
                for start in range(0, len(incident_jobs), 50):
                    self.messages.append((incident_id, incident_jobs[start : start + 50]))

    def take_messages(self) -> list[tuple[str, list[NotificationJob]]]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken


class MemoryRegistry:
    def __init__(self) -> None:
        self.passes: dict[tuple[str, str], ResponderPass] = {}

    def register(self, passes: Sequence[ResponderPass]) -> None:
        for each in passes:
            self.passes[(each.incident_id, each.contact_id)] = each

    def find(self, incident_id: str, contact_id: str) -> ResponderPass | None:
        return self.passes.get((incident_id, contact_id))

    def by_token(self, token: str) -> ResponderPass | None:
        return next((p for p in self.passes.values() if p.token == token), None)

    def for_contact(self, contact_id: str) -> list[ResponderPass]:
        return [p for p in self.passes.values() if p.contact_id == contact_id]


@dataclass(frozen=True)
class Sent:
    destination: str
    message: Message
    incident_id: str


class RecordingChannel:
    """Accepts every message and remembers it (what AWS was handed)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        with self._lock:
            self.sent.append(Sent(destination, message, incident_id))
            return SendReceipt(f"m-{self.channel.value}-{len(self.sent)}")


class NoOverrides:
    """An on-call override source with none entered (the budget's playbooks have no schedules)."""

    def overrides(self, schedule_id: str, start: datetime, end: datetime) -> list[object]:
        return []


class World:
    """The use cases as chalicelib/wiring.py wires them, on the in-memory stand-ins above."""

    def __init__(self, playbook: Playbook, contacts: Sequence[Contact], now: datetime) -> None:
        from chalicelib.core.activation.evaluator import Evaluator
        from chalicelib.core.activation.intake import IngestService
        from chalicelib.core.activation.notifier import Notifier
        from chalicelib.core.messaging.passes import AckLinks
        from chalicelib.core.response.answers import Responses
        from chalicelib.core.response.escalator import Escalator
        from chalicelib.core.spend.holds import HoldDesk

        self.tables = Tables()
        self.clock = FixedClock(now)
        self.playbooks = MemoryPlaybooks(playbook)
        self.directory = MemoryDirectory(contacts)
        self.events = MemoryEventStore(self.tables)
        self.incidents = MemoryIncidentStore(self.tables, self.events)
        self.ledger = MemorySendLedger(self.tables)
        self.counters = MemorySpendCounters(self.tables)
        self.holds = MemoryHoldStore(self.tables)
        self.queue = MemoryQueue()
        self.registry = MemoryRegistry()
        self.channels = {channel: RecordingChannel(channel) for channel in Channel}
        self.links = AckLinks(b"test-link-secret", "https://tocsin.example.com", self.registry)
        self.ingest = IngestService(self.events, self.queue, self.clock)
        escalator = Escalator(
            self.incidents,
            self.playbooks,
            self.directory,
            NoOverrides(),  # type: ignore[arg-type]
            self.queue,
            self.clock,
        )
        self.notifier = Notifier(
            self.incidents, self.playbooks, self.directory, self.queue, self.clock, escalator
        )
        self.desk = HoldDesk(
            self.holds, self.incidents, self.playbooks, self.directory, self.queue, self.clock
        )
        self.responses = Responses(
            self.incidents,
            self.playbooks,
            self.registry,
            self.ledger,
            self.queue,
            escalator,
            self.clock,
            self.desk,
        )
        self.evaluator = Evaluator(
            self.events, self.incidents, self.playbooks, self.notifier, self.clock, self.responses
        )

    def dispatcher(self) -> object:
        """A dispatcher instance of its own, as each Lambda instance builds one."""
        from chalicelib.core.messaging.dispatch import Dispatcher
        from chalicelib.core.spend.gate import SpendGate

        gate = SpendGate(
            self.playbooks,
            self.counters,
            self.holds,
            self.directory,
            self.queue,
            self.incidents,
            self.clock,
        )
        return Dispatcher(
            self.incidents,
            self.playbooks,
            self.directory,
            self.ledger,
            self.channels,
            self.clock,
            timedelta(minutes=2),
            self.links,
            spending=gate,
        )

    def decide_all(self) -> None:
        """What the ingest queue's handler does, for every event queued."""
        events, self.queue.events = self.queue.events, []
        for received in events:
            self.evaluator.handle(received)

    def dispatch_all(self, dispatcher: object | None = None) -> int:
        """What the dispatch queue's handler does, until the queue is empty; messages sent."""
        dispatcher = dispatcher or self.dispatcher()
        sent = 0
        while messages := self.queue.take_messages():
            for incident_id, jobs in messages:
                sent += dispatcher.dispatch(incident_id, jobs).sent  # type: ignore[attr-defined]
        return sent

    def sent(self, channel: Channel) -> list[Sent]:
        return self.channels[channel].sent
