"""What accepting and deciding on events needs: the event queue, the event store, schedule slots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.core.model import (
    DecisionOutcome,
    ReceivedEvent,
)


class EventQueue(Protocol):
    """The durable hand-off between accepting an event and deciding on it."""

    def put_many(self, received: Sequence[ReceivedEvent]) -> None: ...


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
        """Record the decision once, while the event is pending (or failed to be decided, and
        is tried again); False when it was already decided."""
        ...


class ScheduleSlots(Protocol):
    """Which scheduled firings have happened, so that each fires once."""

    def claim(self, schedule_id: str, slot: datetime) -> bool: ...

    def release(self, schedule_id: str, slot: datetime) -> None: ...
