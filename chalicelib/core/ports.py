"""The interfaces the use cases need; adapters in ``storage/`` and ``channels/`` implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from chalicelib.core.activation.decide import History, Verdict
from chalicelib.core.errors import SendError
from chalicelib.core.messaging.passes import ResponderPass
from chalicelib.core.messaging.receipts import DeliveryReport
from chalicelib.core.model import (
    Channel,
    Contact,
    DecisionOutcome,
    Incident,
    IncidentStatus,
    Message,
    NotificationJob,
    ReceivedEvent,
    ResponseState,
    SendReceipt,
    TimelineEntry,
)
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.rotations import Override


class Clock(Protocol):
    def now(self) -> datetime: ...


class PlaybookSource(Protocol):
    def load(self) -> Playbook:
        """The version in force (possibly a few seconds stale)."""
        ...

    def load_version(self, version: int) -> Playbook:
        """An applied version, which never changes."""
        ...


class ContactDirectory(Protocol):
    def members(self, roles: Sequence[str], teams: Sequence[str] = ()) -> list[Contact]: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...


class EventQueue(Protocol):
    """The durable hand-off between accepting an event and deciding on it."""

    def put_many(self, received: Sequence[ReceivedEvent]) -> None: ...


class DispatchQueue(Protocol):
    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None: ...


class ChannelSender(Protocol):
    """Hands one message to one AWS API; raises PermanentSendError or TransientSendError."""

    channel: Channel

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt: ...


@runtime_checkable
class BatchSender(ChannelSender, Protocol):
    """A channel whose API takes several people in one call, each with their own message."""

    batch_addresses: int  # addresses one call holds

    def send_batch(
        self, items: Sequence[tuple[str, Message]], incident_id: str
    ) -> list[SendReceipt | SendError]:
        """An outcome per item, in order; raises only when the whole call failed."""
        ...


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    received_at: datetime
    outcome: DecisionOutcome
    code: str | None = None
    reason: str | None = None
    incident_id: str | None = None
    decided_at: datetime | None = None


class EventStore(Protocol):
    def record_received(self, received: ReceivedEvent) -> None: ...

    def forget(self, event_id: str) -> None: ...

    def get(self, event_id: str) -> EventRecord | None: ...

    def record_decision(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        now: datetime,
        incident_id: str | None = None,
    ) -> bool:
        """Record the decision once; False when the event was already decided."""
        ...


class OpenOutcome(StrEnum):
    OPENED = "opened"  # this event opened the incident
    REDELIVERED = "redelivered"  # this event had already opened it (a redelivered message)
    JOINED = "joined"  # another incident with the same dedup key is open
    CONTENDED = "contended"  # the history read before changed: decide again


@dataclass(frozen=True)
class HistorySnapshot:
    """The activation history a decision was made on, with the versions that were read, so
    that opening fails (CONTENDED) if another activation slipped in meanwhile."""

    rule_id: str
    dedup_key: str
    history: History
    rule_version: int
    key_version: int
    keep: timedelta  # how far back the logs must keep entries


@dataclass(frozen=True)
class OpenResult:
    outcome: OpenOutcome
    incident_id: str


class IncidentStore(Protocol):
    def open(
        self,
        incident: Incident,
        received: ReceivedEvent,
        verdict: Verdict,
        snapshot: HistorySnapshot | None = None,
    ) -> OpenResult:
        """Open ``incident`` unless one with its dedup key is open; never opens two. With a
        snapshot, also log the activation, provided the history is still as read."""
        ...

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot: ...

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None: ...

    def transition(
        self,
        incident_id: str,
        from_status: IncidentStatus,
        to_status: IncidentStatus,
        entry: TimelineEntry,
    ) -> bool: ...

    def join(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        """Count a duplicate trigger on an open incident; False if it was already counted."""
        ...

    def find_open(self, dedup_key: str) -> str | None: ...

    def resolve(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool: ...

    def get(self, incident_id: str) -> Incident | None: ...

    def timeline(self, incident_id: str) -> list[TimelineEntry]: ...

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        """Add entries; an entry whose ``key`` was written before is overwritten, not doubled."""
        ...

    def save_response(
        self, incident_id: str, seen: int, state: ResponseState, entries: Sequence[TimelineEntry]
    ) -> bool:
        """Store the state if it is still at version ``seen`` and the incident is open."""
        ...

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        """Open incidents whose next escalation step is due."""
        ...

    def close(self, incident: Incident, entry: TimelineEntry) -> bool:
        """Resolve by hand; False when it is no longer open."""
        ...


class SendLedger(Protocol):
    """Records every send so a redelivered job never sends twice.

    claim()      -> True once per job, unless the previous attempt failed transiently or
                    has been 'sending' for longer than the stale limit (its invocation died)
    mark_sent()  -> the claim becomes 'sent' with AWS's message id, plus a timeline entry
    mark_failed()-> 'failed' (permanent) or 'retryable' (transient), plus a timeline entry
    """

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> bool: ...

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None: ...

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None: ...


class DeliveryLedger(Protocol):
    def find_sent(self, message_id: str) -> NotificationJob | None: ...

    def record_delivery(
        self, job: NotificationJob, report: DeliveryReport, entry: TimelineEntry
    ) -> None: ...


class OverrideSource(Protocol):
    def overrides(self, schedule_id: str, start: datetime, end: datetime) -> list[Override]: ...


class ResponderRegistry(Protocol):
    """The passes (link token, reply code) of the people paged for each incident."""

    def register(self, passes: Sequence[ResponderPass]) -> None: ...

    def find(self, incident_id: str, contact_id: str) -> ResponderPass | None: ...

    def by_token(self, token: str) -> ResponderPass | None: ...

    def for_contact(self, contact_id: str) -> list[ResponderPass]: ...


class ReachedLedger(Protocol):
    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        """(contact, channel) of every alert handed to AWS for the incident."""
        ...


class PhoneOwners(Protocol):
    """Who sent an SMS: the people with a number, and their opt-outs."""

    def owners_of(self, phone: str) -> list[str]: ...

    def opt_out(self, contact_id: str, channel: Channel) -> bool: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...


class UsableAddresses(Protocol):
    def mark_unusable(self, contact_id: str, channel: Channel) -> bool: ...


class ScheduleSlots(Protocol):
    """Which scheduled firings have happened, so that each fires once."""

    def claim(self, schedule_id: str, slot: datetime) -> bool: ...

    def release(self, schedule_id: str, slot: datetime) -> None: ...
