"""The values and stores of the drop-in APIs: Opsgenie alerts and requests, change events,
and the parts of the incident and event stores they read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.core.model import DecisionOutcome, Incident, Link, TimelineEntry


class AlertStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class AlertNote:
    at: datetime
    text: str
    user: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Alert:
    """An Opsgenie alert as its clients see it. ``sender``: the namespace of the key that
    created it (only that sender's keys find it); ``dedup_key``: its events' dedup key."""

    alert_id: str
    tiny_id: str
    sender: str
    alias: str
    dedup_key: str
    event_type: str
    message: str
    priority: str
    created_at: datetime
    updated_at: datetime
    status: AlertStatus = AlertStatus.OPEN
    acknowledged: bool = False
    count: int = 1
    description: str | None = None
    entity: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    responders: tuple[Mapping[str, str], ...] = ()  # recorded as sent; never used to route
    actions: tuple[str, ...] = ()
    notes: tuple[AlertNote, ...] = ()
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    last_occurred_at: datetime | None = None  # the latest create (None: only the first)
    event_ids: tuple[str, ...] = ()  # the Tocsin events it sent (the latest few)
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is AlertStatus.OPEN


@dataclass(frozen=True)
class AlertRequest:
    """One create, acknowledge, close or note, for ``GET /v2/alerts/requests/{id}``.
    ``event_id``: the Tocsin event it queued (None: nothing was queued, e.g. a note)."""

    request_id: str
    sender: str
    action: str  # Opsgenie's words: Create, Acknowledge, Close, AddNote
    at: datetime
    alert_id: str
    alias: str
    status: str  # what happened, e.g. "Created alert"
    success: bool = True
    event_id: str | None = None


class AlertStore(Protocol):
    """Alerts, by id, tiny id, and alias within a sender. Every change is conditional:

    add(alert, replacing)  -> True if the sender's alias still named ``replacing`` (None: no
                              alert had the alias); the alias now names the new alert
    save(alert, seen)      -> True if the alert was still at version ``seen``
    """

    def get(self, alert_id: str) -> Alert | None: ...

    def by_tiny_id(self, tiny_id: str) -> Alert | None: ...

    def latest_by_alias(self, sender: str, alias: str) -> Alert | None: ...

    def next_tiny_id(self) -> str: ...

    def add(self, alert: Alert, replacing: str | None) -> bool: ...

    def save(self, alert: Alert, seen_version: int) -> bool: ...

    def created_between(
        self, sender: str, start: datetime | None, end: datetime | None, newest_first: bool
    ) -> Iterator[Alert]:
        """The sender's alerts created in [start, end), in creation order."""
        ...


class RequestLog(Protocol):
    """Requests and what became of them; they expire (``REQUEST_RETENTION``)."""

    def record(self, request: AlertRequest) -> None: ...

    def get(self, request_id: str) -> AlertRequest | None: ...


class Decision(Protocol):
    """What the activation rules decided on an event (the event store's record)."""

    @property
    def outcome(self) -> DecisionOutcome: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def incident_id(self) -> str | None: ...

    @property
    def decided_at(self) -> datetime | None: ...


class Decisions(Protocol):
    def get(self, event_id: str) -> Decision | None: ...


class IncidentTimelines(Protocol):
    """The part of the incident store the drop-in APIs use: open incidents and timelines."""

    def find_open(self, dedup_key: str) -> str | None: ...

    def get(self, incident_id: str) -> Incident | None: ...

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None: ...


@dataclass(frozen=True)
class ChangeEvent:
    """A PagerDuty change event (a deploy, a configuration change): never pages anyone."""

    change_id: str
    sender: str
    summary: str
    received_at: datetime
    occurred_at: datetime | None = None
    source: str | None = None
    custom_details: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()


class ChangeStore(Protocol):
    """Change events by sender, and which incidents are the sender's:

    remember(sender, scoped key)   -> the sender triggers with this dedup key, scoped to its
                                      namespace (``scope_dedup_key``; kept CHANGE_RETENTION)
    add_incident(sender, id)       -> an incident of that key opened: it is the sender's
    forget_incident(sender, id)    -> it is resolved: changes no longer go on it
    record(change)                 -> kept for CHANGE_RETENTION
    """

    def remember(self, sender: str, dedup_key: str, at: datetime) -> None: ...

    def sender_of(self, dedup_key: str) -> str | None: ...

    def add_incident(self, sender: str, incident_id: str, at: datetime) -> None: ...

    def incidents(self, sender: str) -> list[str]: ...

    def forget_incident(self, sender: str, incident_id: str) -> None: ...

    def record(self, change: ChangeEvent) -> None: ...

    def changes(self, sender: str, start: datetime, end: datetime) -> list[ChangeEvent]:
        """The sender's changes received in [start, end), oldest first."""
        ...


class SenderMemory(Protocol):
    def remember(self, sender: str, dedup_key: str, at: datetime) -> None:
        """The sender triggers with this dedup key: the incidents it opens are the sender's."""
        ...


@dataclass(frozen=True)
class NewAlert:
    """What a create request asks for, validated (``integrations/opsgenie.py``)."""

    message: str
    priority: str
    event_type: str
    alias: str | None = None
    description: str | None = None
    entity: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    details: Mapping[str, str] | None = None
    responders: tuple[Mapping[str, str], ...] = ()
    actions: tuple[str, ...] = ()
    note: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class ActionNote:
    """The optional ``user``, ``source`` and ``note`` of an acknowledge, close or note."""

    user: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class RequestStatus:
    request: AlertRequest
    decision: Decision | None  # None: nothing was queued
    processed_at: datetime
