"""When each open incident's next update is due.

UpdateSchedule.set_due() -> the incident's next update (its number) due at that time; with
                            ``only_if_new``, only when none is scheduled (a repeated activation)
UpdateSchedule.due()     -> the incidents whose update is due by ``now``, oldest first
UpdateSchedule.take()    -> True once for the deadline read: the one that takes it reminds
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class DueUpdate:
    incident_id: str
    due_at: datetime
    number: int  # the update that is due (1: the first after activation)


class UpdateSchedule(Protocol):
    def set_due(
        self, incident_id: str, due_at: datetime, number: int, only_if_new: bool = False
    ) -> bool: ...

    def due(self, now: datetime, limit: int = 100) -> list[DueUpdate]: ...

    def take(self, due: DueUpdate) -> bool:
        """Remove the deadline if it is still the one read; False when an update was posted
        (or another tick took it) meanwhile."""
        ...
