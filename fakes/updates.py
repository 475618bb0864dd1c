"""Update deadlines in memory, by the rules of ``storage/updates.py`` (one contract suite,
``tests/functional/test_update_schedule.py``, runs against both)."""

from __future__ import annotations

import threading
from datetime import datetime

from chalicelib.core.updates.ports import DueUpdate


class MemoryUpdateSchedule:
    def __init__(self) -> None:
        self.deadlines: dict[str, DueUpdate] = {}
        self._lock = threading.Lock()

    def set_due(
        self, incident_id: str, due_at: datetime, number: int, only_if_new: bool = False
    ) -> bool:
        with self._lock:
            if only_if_new and incident_id in self.deadlines:
                return False
            self.deadlines[incident_id] = DueUpdate(incident_id, due_at, number)
            return True

    def due(self, now: datetime, limit: int = 100) -> list[DueUpdate]:
        with self._lock:
            found = sorted(
                (d for d in self.deadlines.values() if d.due_at <= now), key=lambda d: d.due_at
            )
        return found[:limit]

    def take(self, due: DueUpdate) -> bool:
        with self._lock:
            if self.deadlines.get(due.incident_id) != due:
                return False
            del self.deadlines[due.incident_id]
            return True
