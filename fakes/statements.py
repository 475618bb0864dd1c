"""Statements in memory, by the rules of ``storage/statements.py`` (one contract suite,
``tests/functional/test_statement_store.py``, runs against both): added once per id, saved
only over the version before, each outlet claimed once; entries on the shared timeline."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from chalicelib.core.model import TimelineEntry
from chalicelib.core.statements.ports import Statement
from fakes.incidents import MemoryIncidentStore


class MemoryStatementStore:
    def __init__(self, incidents: MemoryIncidentStore) -> None:
        self._incidents = incidents
        self.statements: dict[tuple[str, str], Statement] = {}
        self.claims: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def add(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        with self._lock:
            key = (statement.incident_id, statement.statement_id)
            if key in self.statements:
                return False
            self.statements[key] = statement
            self._write(statement.incident_id, entries)
            return True

    def save(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        with self._lock:
            key = (statement.incident_id, statement.statement_id)
            stored = self.statements.get(key)
            if stored is None or stored.version != statement.version - 1:
                return False
            self.statements[key] = statement
            self._write(statement.incident_id, entries)
            return True

    def get(self, incident_id: str, statement_id: str) -> Statement | None:
        return self.statements.get((incident_id, statement_id))

    def list(self, incident_id: str) -> list[Statement]:
        mine = [s for (i, _), s in self.statements.items() if i == incident_id]
        return sorted(mine, key=lambda s: (s.created_at, s.statement_id))

    def claim_outlet(self, incident_id: str, statement_id: str, outlet: str, now: datetime) -> bool:
        with self._lock:
            if (incident_id, statement_id, outlet) in self.claims:
                return False
            self.claims.add((incident_id, statement_id, outlet))
            return True

    def release_outlet(self, incident_id: str, statement_id: str, outlet: str) -> None:
        with self._lock:
            self.claims.discard((incident_id, statement_id, outlet))

    def _write(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            self._incidents.put_entry(incident_id, entry)
