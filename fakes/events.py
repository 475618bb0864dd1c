"""Received events and their decisions, and the slots of scheduled triggers, in memory.

The same rules as ``storage/events.py`` and ``storage/schedule_slots.py``: a decision is
recorded once (only while the event is pending, or failed to be decided); an event is
unqueued from its record until it is marked queued or decided; a slot is claimed
once until released.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from chalicelib.core.activation.ports import EventRecord, RateCharge, rate_window
from chalicelib.core.model import DecisionOutcome, ReceivedEvent

_UNDECIDED = (DecisionOutcome.PENDING, DecisionOutcome.FAILED, DecisionOutcome.HELD)


class MemoryEventStore:
    def __init__(self) -> None:
        self._records: dict[str, EventRecord] = {}
        self.received: dict[str, ReceivedEvent] = {}  # what was accepted, for tests to read
        self.not_queued: set[str] = set()
        self.rates: dict[tuple[str, datetime], int] = {}  # (key, minute) -> events counted

    def record_all(self, received: Sequence[ReceivedEvent], charge: RateCharge | None) -> None:
        if charge is not None:  # one write: refused, nothing is recorded nor counted
            now = received[0].received_at
            window = (charge.key_name, rate_window(now))
            counted = self.rates.get(window, 0)
            if counted > charge.limit - charge.cost:
                raise charge.refused(now)
            self.rates[window] = counted + charge.cost
        for item in received:
            self.record_received(item)

    def record_received(self, received: ReceivedEvent) -> None:
        if received.event_id in self._records:
            # DynamoDB refuses the conditional put; nothing in the core records an id twice.
            raise RuntimeError(f"event {received.event_id} was recorded already")
        self._records[received.event_id] = EventRecord(
            received.event_id, received.received_at, DecisionOutcome.PENDING
        )
        self.received[received.event_id] = received
        self.not_queued.add(received.event_id)

    def mark_queued(self, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            if event_id not in self._records:
                raise RuntimeError(f"event {event_id} is not recorded")  # the condition fails
            self.not_queued.discard(event_id)

    def unqueued(self, received_before: datetime, limit: int = 100) -> list[str]:
        found = sorted(
            (self._records[event_id].received_at, event_id)
            for event_id in self.not_queued
            if self._records[event_id].received_at < received_before
        )
        return [event_id for _, event_id in found[:limit]]

    def forget(self, event_id: str) -> None:
        self._records.pop(event_id, None)
        self.received.pop(event_id, None)
        self.not_queued.discard(event_id)

    def get(self, event_id: str) -> EventRecord | None:
        return self._records.get(event_id)

    def record_decision(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        now: datetime,
        incident_id: str | None = None,
    ) -> bool:
        record = self._records.get(event_id)
        if record is None or record.outcome not in (
            DecisionOutcome.PENDING,
            DecisionOutcome.FAILED,
            DecisionOutcome.HELD,
        ):
            return False
        self.decide(event_id, outcome, code, reason, now, incident_id)
        return True

    def hold(
        self, received: ReceivedEvent, code: str, reason: str, now: datetime, decide_at: datetime
    ) -> bool:
        record = self._records.get(received.event_id)
        if record is None or record.outcome not in _UNDECIDED:
            return False
        self._records[received.event_id] = replace(
            record, outcome=DecisionOutcome.HELD, code=code, reason=reason, decide_at=decide_at
        )
        self.received[received.event_id] = received
        return True

    def held_due(self, now: datetime, limit: int = 100) -> list[ReceivedEvent]:
        due = sorted(
            (record.decide_at, event_id)
            for event_id, record in self._records.items()
            if record.outcome is DecisionOutcome.HELD
            and record.decide_at is not None
            and record.decide_at <= now
        )
        return [self.received[event_id] for _, event_id in due[:limit]]

    def held_for(self, scoped_dedup_key: str) -> list[str]:
        return sorted(
            event_id
            for event_id, record in self._records.items()
            if record.outcome is DecisionOutcome.HELD
            and self.received[event_id].scoped_dedup_key == scoped_dedup_key
        )

    def decide(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        at: datetime,
        incident_id: str | None = None,
    ) -> None:
        """Unconditionally, as the incident store does inside its opening and resolving
        transactions (``storage.events.decision_update``)."""
        record = self._records.get(event_id) or EventRecord(event_id, at, DecisionOutcome.PENDING)
        self.not_queued.discard(event_id)  # decided: out of the index
        self._records[event_id] = replace(
            record,
            outcome=outcome,
            code=code,
            reason=reason,
            decided_at=at,
            incident_id=incident_id if incident_id is not None else record.incident_id,
        )


class MemoryScheduleSlots:
    def __init__(self) -> None:
        self.claimed: set[tuple[str, datetime]] = set()

    def claim(self, schedule_id: str, slot: datetime) -> bool:
        if (schedule_id, slot) in self.claimed:
            return False
        self.claimed.add((schedule_id, slot))
        return True

    def release(self, schedule_id: str, slot: datetime) -> None:
        self.claimed.discard((schedule_id, slot))
