"""Incidents, their timelines, dedup pointers, activation logs and the escalation index, in
memory, by the rules ``storage/incidents.py`` keeps in DynamoDB (its contract suite,
``tests/functional/test_incident_store.py``, runs against both):

- each transaction checks every condition first and then writes all or nothing;
- a keyed timeline entry is overwritten by a later write with its key (first write wins only
  where the adapter's write is conditional: a duplicate trigger joining);
- timeline entries come back without their key and with their data as JSON gave it back,
  ordered by time (keyed before unkeyed at the same instant);
- the escalation index holds an incident while a step is due, and is compared as ISO text.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.events import event_to_document
from chalicelib.core.model import (
    DecisionOutcome,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    ResponseState,
    TimelineEntry,
)
from chalicelib.core.ports import HistorySnapshot, OpenOutcome, OpenResult
from chalicelib.core.verdicts import Activation, History, Verdict
from fakes.events import MemoryEventStore

_MAX_LOG = 200  # as storage/incidents.py
_MIN_KEEP = timedelta(days=1)


@dataclass
class _Log:
    entries: tuple[Activation, ...] = ()
    version: int = 0


class MemoryIncidentStore:
    def __init__(self, events: MemoryEventStore | None = None) -> None:
        self.events = events if events is not None else MemoryEventStore()
        self._incidents: dict[str, Incident] = {}
        self._timelines: dict[str, dict[str, TimelineEntry]] = {}
        self._dedup: dict[str, str] = {}
        self._logs: dict[tuple[str, str], _Log] = {}
        self._due: dict[str, str] = {}  # incident id -> due_at as ISO text (the sparse index)
        self._unique = itertools.count()

    # -- opening -------------------------------------------------------------------------
    def open(
        self,
        incident: Incident,
        received: ReceivedEvent,
        verdict: Verdict,
        snapshot: HistorySnapshot | None = None,
    ) -> OpenResult:
        fits = (
            incident.scoped_dedup_key not in self._dedup
            and incident.incident_id not in self._incidents
            and (snapshot is None or self._logs_unchanged(snapshot))
        )
        if fits:
            self._dedup[incident.scoped_dedup_key] = incident.incident_id
            self._store(incident)
            self.put_entry(incident.incident_id, _received_entry(received))
            self.put_entry(incident.incident_id, _activated_entry(incident, received, verdict))
            self.events.decide(
                received.event_id,
                DecisionOutcome.ACTIVATED,
                verdict.code,
                verdict.reason,
                incident.opened_at,
                incident.incident_id,
            )
            if snapshot is not None:
                self._log_activation(snapshot, received, incident.incident_id)
            return OpenResult(OpenOutcome.OPENED, incident.incident_id)
        existing = self.find_open(incident.scoped_dedup_key)
        if existing == incident.incident_id:
            return OpenResult(OpenOutcome.REDELIVERED, existing)
        if existing is not None:
            return OpenResult(OpenOutcome.JOINED, existing)
        return OpenResult(OpenOutcome.CONTENDED, incident.incident_id)

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot:
        rule_log = self._logs.get(("rule", rule_id), _Log())
        key_log = self._logs.get(("key", dedup_key), _Log())
        return HistorySnapshot(
            rule_id=rule_id,
            dedup_key=dedup_key,
            history=History(rule=rule_log.entries, key=key_log.entries),
            rule_version=rule_log.version,
            key_version=key_log.version,
            keep=keep,
        )

    def _logs_unchanged(self, snapshot: HistorySnapshot) -> bool:
        rule = self._logs.get(("rule", snapshot.rule_id), _Log())
        key = self._logs.get(("key", snapshot.dedup_key), _Log())
        return (rule.version, key.version) == (snapshot.rule_version, snapshot.key_version)

    def _log_activation(
        self, snapshot: HistorySnapshot, received: ReceivedEvent, incident_id: str
    ) -> None:
        now = Activation(at=received.received_at, incident_id=incident_id)
        since = received.received_at - max(snapshot.keep, _MIN_KEEP)
        for name, seen, entries in (
            (("rule", snapshot.rule_id), snapshot.rule_version, snapshot.history.rule),
            (("key", snapshot.dedup_key), snapshot.key_version, snapshot.history.key),
        ):
            kept = sorted([a for a in entries if a.at > since] + [now], key=lambda a: a.at)
            self._logs[name] = _Log(tuple(kept[-_MAX_LOG:]), seen + 1)

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None:
        if incident.incident_id in self._incidents:
            raise RuntimeError(f"incident {incident.incident_id} exists already")
        self._store(incident)
        self.append(incident.incident_id, entries)

    # -- moving on -------------------------------------------------------------------------
    def transition(
        self,
        incident_id: str,
        from_status: IncidentStatus,
        to_status: IncidentStatus,
        entry: TimelineEntry,
    ) -> bool:
        incident = self._incidents.get(incident_id)
        if incident is None or incident.status is not from_status:
            return False
        self._incidents[incident_id] = replace(incident, status=to_status, updated_at=entry.at)
        if from_status is IncidentStatus.AWAITING_APPROVAL:
            self._due.pop(incident_id, None)  # the gate's deadline leaves the index
        self.put_entry(incident_id, entry)
        return True

    def add_approval(self, incident_id: str, contact_id: str, entry: TimelineEntry) -> bool:
        incident = self._incidents.get(incident_id)
        if incident is None or incident.status is not IncidentStatus.AWAITING_APPROVAL:
            return False
        if contact_id in incident.approved_by:
            return False
        approved_by = (*incident.approved_by, contact_id)
        self._incidents[incident_id] = replace(incident, approved_by=approved_by)
        self.put_entry(incident_id, entry)
        return True

    def join(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        incident = self._incidents.get(incident_id)
        entry = _received_entry(received, duplicate=True)
        if incident is None or incident.status is not IncidentStatus.OPEN:
            return False
        if _sort_key(entry, 0) in self._timelines.get(incident_id, {}):
            return False
        self._incidents[incident_id] = replace(
            incident, event_count=incident.event_count + 1, updated_at=now
        )
        self.put_entry(incident_id, entry)
        return True

    def reassess(self, before: Incident, after: Incident, entry: TimelineEntry) -> bool:
        stored = self._incidents.get(before.incident_id)
        if stored is None or stored.status is not IncidentStatus.OPEN:
            return False
        seen = (stored.severity, stored.rule_id, stored.plan_id, stored.response.version)
        if seen != (before.severity, before.rule_id, before.plan_id, before.response.version):
            return False
        self._store(
            replace(
                stored,
                severity=after.severity,
                rule_id=after.rule_id,
                plan_id=after.plan_id,
                playbook_version=after.playbook_version,
                response=after.response,
                updated_at=after.updated_at,
            )
        )
        self.put_entry(before.incident_id, entry)
        return True

    def find_open(self, dedup_key: str) -> str | None:
        return self._dedup.get(dedup_key)

    def resolve(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        incident = self._incidents.get(incident_id)
        if incident is None or incident.status is IncidentStatus.RESOLVED:
            return False
        if not self._close(incident, now):
            return False
        self.put_entry(incident_id, _received_entry(received))
        self.put_entry(
            incident_id,
            TimelineEntry(
                at=now,
                kind="resolved",
                summary=f"resolved by {received.event.source}",
                data={"event_id": received.event_id},
                key=f"resolved-{received.event_id}",
            ),
        )
        self.events.decide(
            received.event_id,
            DecisionOutcome.RESOLVED,
            "resolve",
            f"resolved by {received.event.source}",
            now,
            incident_id,
        )
        return True

    def close(self, incident: Incident, entry: TimelineEntry) -> bool:
        if not self._close(incident, entry.at):
            return False
        self.put_entry(incident.incident_id, entry)
        return True

    def _close(self, incident: Incident, now: datetime) -> bool:
        """Resolve and free the dedup key, provided the incident is open and the key is its own
        or nobody's (a manual activation never took one): as the adapter."""
        stored = self._incidents.get(incident.incident_id)
        if stored is None or stored.status is not IncidentStatus.OPEN:
            return False
        if self._dedup.get(incident.scoped_dedup_key, incident.incident_id) != incident.incident_id:
            return False
        self._dedup.pop(incident.scoped_dedup_key, None)
        self._incidents[incident.incident_id] = replace(
            stored, status=IncidentStatus.RESOLVED, resolved_at=now, updated_at=now
        )
        self._due.pop(incident.incident_id, None)
        return True

    def save_response(
        self, incident_id: str, seen: int, state: ResponseState, entries: Sequence[TimelineEntry]
    ) -> bool:
        incident = self._incidents.get(incident_id)
        if incident is None or incident.status is not IncidentStatus.OPEN:
            return False
        if incident.response.version != seen:
            return False
        self._incidents[incident_id] = replace(incident, response=state)
        self._index(incident_id, state)
        for entry in entries:
            self.put_entry(incident_id, entry)
        return True

    def mark_first_send(self, incident_id: str, at: datetime) -> bool:
        """As the adapter's conditional write: only the first call for a stored incident
        records it."""
        incident = self._incidents.get(incident_id)
        if incident is None or incident.first_sent_at is not None:
            return False
        self._incidents[incident_id] = replace(incident, first_sent_at=at)
        return True

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        due = sorted((at, incident_id) for incident_id, at in self._due.items())
        return [incident_id for at, incident_id in due if at <= now.isoformat()][:limit]

    # -- reading and the timeline ------------------------------------------------------------
    def get(self, incident_id: str) -> Incident | None:
        return self._incidents.get(incident_id)

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        stored = self._timelines.get(incident_id, {})
        return sorted((stored[key] for key in sorted(stored)), key=lambda entry: entry.at)

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            self.put_entry(incident_id, entry)

    def put_entry(self, incident_id: str, entry: TimelineEntry) -> None:
        """One timeline item, written whether or not the incident exists (as a DynamoDB put,
        which the send ledger also makes in its own transactions)."""
        stored = TimelineEntry(
            at=entry.at, kind=entry.kind, summary=entry.summary, data=as_json(entry.data)
        )
        timeline = self._timelines.setdefault(incident_id, {})
        timeline[_sort_key(entry, next(self._unique))] = stored

    def incidents(self) -> list[Incident]:
        """Every incident, oldest first (for tests and the benchmarks)."""
        return sorted(self._incidents.values(), key=lambda incident: incident.opened_at)

    def _store(self, incident: Incident) -> None:
        self._incidents[incident.incident_id] = incident
        self._index(incident.incident_id, incident.response)

    def _index(self, incident_id: str, state: ResponseState) -> None:
        if state.stopped is None and state.due_at is not None:
            self._due[incident_id] = state.due_at.isoformat()
        else:
            self._due.pop(incident_id, None)


_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})  # what JSON gives back unchanged
_TEXT = frozenset({str})


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as JSON gives it back (a datetime as its text, a tuple as a list, an enum as
    its value): a copy when every key is text and every value one JSON gives back as it was
    (most entries: the encoding would change nothing), else encoded and decoded."""
    if _TEXT.issuperset(map(type, data)) and _AS_THEY_ARE.issuperset(map(type, data.values())):
        return dict(data)
    decoded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return decoded


def _sort_key(entry: TimelineEntry, unique: int) -> str:
    """Where DynamoDB would sort the entry (``TL#K#<key>`` before ``TL#T#<at>#<ulid>``)."""
    return f"K#{entry.key}" if entry.key else f"T#{entry.at.isoformat()}#{unique:012d}"


def _received_entry(received: ReceivedEvent, duplicate: bool = False) -> TimelineEntry:
    event = received.event
    summary = f"{event.action.value} received from {event.source}: {event.summary}".rstrip(": ")
    if duplicate:
        summary += " (duplicate; nobody notified again)"
    return TimelineEntry(
        at=received.received_at,
        kind="event_received",
        summary=summary,
        data={
            "event_id": received.event_id,
            "format": received.format,
            "event": event_to_document(event),
            **({"original": received.original} if received.original is not None else {}),
        },
        key=f"event-{received.event_id}",
    )


def _activated_entry(
    incident: Incident, received: ReceivedEvent, verdict: Verdict
) -> TimelineEntry:
    return TimelineEntry(
        at=incident.opened_at,
        kind="activated",
        summary=f"incident opened: {verdict.reason}",
        data={
            "rule_id": verdict.rule_id,
            "plan_id": verdict.plan_id,
            "event_id": received.event_id,
            "playbook_version": incident.playbook_version,
        },
        key="activated",
    )
