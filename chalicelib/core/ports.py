"""The interfaces most use cases share: the clock, the contact directory and the incident store.

Each capability package declares the other ports it needs beside its use cases
(``activation/ports.py``, ``messaging/ports.py``, ``response/ports.py``, the playbook's
``playbook/source.py``); adapters in ``storage/`` and ``channels/`` implement them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from chalicelib.core.model import (
    Contact,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    ResponseState,
    TimelineEntry,
)
from chalicelib.core.verdicts import History, Verdict


class Clock(Protocol):
    def now(self) -> datetime: ...


class ContactDirectory(Protocol):
    def members(
        self, roles: Sequence[str], teams: Sequence[str] = (), labels: Sequence[str] = ()
    ) -> list[Contact]: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...


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

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot:
        """``dedup_key`` here and in :meth:`find_open` is scoped to its sender's namespace
        (``ReceivedEvent.scoped_dedup_key``)."""
        ...

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None: ...

    def transition(
        self,
        incident_id: str,
        from_status: IncidentStatus,
        to_status: IncidentStatus,
        entry: TimelineEntry,
    ) -> bool: ...

    def add_approval(self, incident_id: str, contact_id: str, entry: TimelineEntry) -> bool:
        """Count ``contact_id``'s approval once, with its entry, while the incident waits at
        the gate; False when it no longer waits or the person approved already."""
        ...

    def join(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        """Count a duplicate trigger on an open incident; False if it was already counted."""
        ...

    def reassess(self, before: Incident, after: Incident, entry: TimelineEntry) -> bool:
        """Move an open incident to ``after``'s severity, rule, plan, playbook version and
        response state, with its entry, provided its severity, rule, plan and response version
        are still ``before``'s; False otherwise (it moved meanwhile, or is no longer open)."""
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

    def mark_first_send(self, incident_id: str, at: datetime) -> bool:
        """Record when its first alert went out; True only for the call that recorded it."""
        ...
