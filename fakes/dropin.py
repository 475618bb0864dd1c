"""The drop-in stores in memory: Opsgenie alerts and requests, change events, incident timelines.

The same rules as ``storage/opsgenie_alerts.py`` and ``storage/changes.py`` (one contract suite,
``tests/functional/test_dropin_stores.py``, runs against both). ``MemoryTimelines`` finds open
incidents by their scoped dedup key (``Incident.scoped_dedup_key``), as the incident store does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from chalicelib.core.dropin.ports import Alert, AlertRequest, ChangeEvent
from chalicelib.core.model import Incident, IncidentStatus, TimelineEntry


class MemoryAlertStore:
    """``before_write``: called before every conditional write, so a test can slip a rival
    write in between a read and a write (as a concurrent request would)."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._tiny: dict[str, str] = {}
        self._last_tiny = 0
        self.before_write: Callable[[], None] = lambda: None

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def by_tiny_id(self, tiny_id: str) -> Alert | None:
        found = self._tiny.get(tiny_id)
        return self.alerts.get(found) if found else None

    def latest_by_alias(self, sender: str, alias: str) -> Alert | None:
        found = self._aliases.get((sender, alias))
        return self.alerts.get(found) if found else None

    def next_tiny_id(self) -> str:
        self._last_tiny += 1
        return str(self._last_tiny)

    def add(self, alert: Alert, replacing: str | None) -> bool:
        self.before_write()
        if self._aliases.get((alert.sender, alert.alias)) != replacing:
            return False
        if alert.alert_id in self.alerts:
            return False
        self.alerts[alert.alert_id] = replace(alert, version=alert.version)
        self._aliases[(alert.sender, alert.alias)] = alert.alert_id
        self._tiny[alert.tiny_id] = alert.alert_id
        return True

    def save(self, alert: Alert, seen_version: int) -> bool:
        self.before_write()
        current = self.alerts.get(alert.alert_id)
        if current is None or current.version != seen_version:
            return False
        self.alerts[alert.alert_id] = replace(alert, version=seen_version + 1)
        return True

    def created_between(
        self, sender: str, start: datetime | None, end: datetime | None, newest_first: bool
    ) -> Iterator[Alert]:
        found = sorted(
            (
                alert
                for alert in self.alerts.values()
                if alert.sender == sender
                and (start is None or alert.created_at >= start)
                and (end is None or alert.created_at < end)
            ),
            key=lambda alert: (alert.created_at, alert.alert_id),
            reverse=newest_first,
        )
        yield from found


class MemoryRequestLog:
    def __init__(self) -> None:
        self.requests: dict[str, AlertRequest] = {}

    def record(self, request: AlertRequest) -> None:
        self.requests[request.request_id] = request

    def get(self, request_id: str) -> AlertRequest | None:
        return self.requests.get(request_id)


class MemoryChangeStore:
    def __init__(self) -> None:
        self.senders: dict[str, str] = {}
        self.owned: dict[str, list[str]] = {}
        self.kept: list[ChangeEvent] = []

    def remember(self, sender: str, dedup_key: str, at: datetime) -> None:
        self.senders[dedup_key] = sender

    def sender_of(self, dedup_key: str) -> str | None:
        return self.senders.get(dedup_key)

    def add_incident(self, sender: str, incident_id: str, at: datetime) -> None:
        if incident_id not in self.owned.setdefault(sender, []):
            self.owned[sender].append(incident_id)

    def incidents(self, sender: str) -> list[str]:
        return list(self.owned.get(sender, []))

    def forget_incident(self, sender: str, incident_id: str) -> None:
        if incident_id in self.owned.get(sender, []):
            self.owned[sender].remove(incident_id)

    def record(self, change: ChangeEvent) -> None:
        self.kept.append(change)

    def changes(self, sender: str, start: datetime, end: datetime) -> list[ChangeEvent]:
        return sorted(
            (c for c in self.kept if c.sender == sender and start <= c.received_at < end),
            key=lambda change: change.received_at,
        )


class MemoryTimelines:
    """Open incidents by scoped dedup key (issue #17: ``scope_dedup_key(namespace, key)``, as
    the incident store finds them), and what was appended to each (keyed entries once)."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.entries: dict[str, dict[str, TimelineEntry]] = {}

    def find_open(self, dedup_key: str) -> str | None:
        return next(
            (
                incident.incident_id
                for incident in self.incidents.values()
                if incident.scoped_dedup_key == dedup_key and incident.status is IncidentStatus.OPEN
            ),
            None,
        )

    def get(self, incident_id: str) -> Incident | None:
        return self.incidents.get(incident_id)

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        kept = self.entries.setdefault(incident_id, {})
        for entry in entries:
            kept[entry.key or f"{entry.at.isoformat()}#{len(kept)}"] = entry
