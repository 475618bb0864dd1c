"""The budget's stores in memory, by the rules of ``storage/spending.py`` and
``storage/holds.py`` (one contract suite, ``tests/functional/test_spend_contracts.py``, runs
against both): counters that count, in one step, only what fits; holds kept beside the send
ledger's items, as the adapter keeps them in the same table.

Counting is behind a lock, as DynamoDB applies each request atomically, so several dispatchers
may run in threads (``test_several_dispatchers_at_once_never_pass_the_budget``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from chalicelib.core.ids import new_ulid
from chalicelib.core.model import IncidentStatus, NotificationJob, TimelineEntry
from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.spend.meter import fit
from chalicelib.core.spend.ports import (
    MAX_HELD_PER_ADD,
    AddOutcome,
    HeldMessage,
    Hold,
    HoldState,
    Take,
)
from fakes.incidents import MemoryIncidentStore
from fakes.ledger import CANCELLED, HELD, SENDING, MemorySendLedger


class MemorySpendCounters:
    def __init__(self) -> None:
        self.counted: dict[tuple[str, datetime], tuple[int, int]] = {}
        self.pages: dict[datetime, str] = {}
        self._lock = threading.RLock()

    def take(self, meter: str, window: datetime, asks: Sequence[int], limit: ChannelBudget) -> int:
        with self._lock:  # what one conditional update does, in one step
            messages, units = self.counted.get((meter, window), (0, 0))
            granted = fit(asks, messages, units, limit)
            if granted:
                self.counted[(meter, window)] = (
                    messages + granted,
                    units + sum(asks[:granted]),
                )
            return granted

    def take_all(self, window: datetime, takes: Sequence[Take]) -> list[int]:
        with self._lock:  # one transaction when all fit; the adapter's fallback is the same
            return [self.take(t.meter, window, t.asks, t.limit) for t in takes]

    def claim_page(self, window: datetime, incident_id: str) -> str:
        with self._lock:
            return self.pages.setdefault(window, incident_id)

    def used(self, meter: str, window: datetime) -> tuple[int, int]:
        return self.counted.get((meter, window), (0, 0))


class MemoryHoldStore:
    def __init__(self, incidents: MemoryIncidentStore, ledger: MemorySendLedger) -> None:
        self._incidents = incidents
        self._ledger = ledger  # held messages are its items, 'held' with the hold's id
        self.holds: dict[str, Hold] = {}
        self._open: dict[str, str] = {}
        self._lock = threading.RLock()

    def open_hold(self, incident_id: str, now: datetime) -> str:
        with self._lock:
            found = self._open.get(incident_id)
            if found is not None:
                return found
            hold_id = f"hld_{new_ulid(now)}"
            self.holds[hold_id] = Hold(hold_id, incident_id, HoldState.HELD, now)
            self._open[incident_id] = hold_id
            return hold_id

    def add(
        self,
        hold_id: str,
        incident_id: str,
        held: Sequence[HeldMessage],
        entry: TimelineEntry,
        require_open: bool,
    ) -> AddOutcome:
        if len(held) > MAX_HELD_PER_ADD:
            raise ValueError(f"at most {MAX_HELD_PER_ADD} messages are held at once")
        with self._lock:
            hold = self.holds[hold_id]
            if hold.state is not HoldState.HELD:
                return AddOutcome.SETTLED
            incident = self._incidents.get(incident_id)
            if require_open and (incident is None or incident.status is not IncidentStatus.OPEN):
                return AddOutcome.INCIDENT_CLOSED
            items = [self._ledger.items.get((incident_id, m.job.ledger_name)) for m in held]
            if any(item is None or item.status != SENDING for item in items):
                raise RuntimeError(f"hold {hold_id}: a claim changed hands")  # as TransientError
            messages, units = dict(hold.messages), dict(hold.units)
            for message, item in zip(held, items, strict=True):
                assert item is not None
                item.status, item.hold_id = HELD, hold_id
                channel = message.job.channel
                messages[channel] = messages.get(channel, 0) + 1
                units[channel] = units.get(channel, 0) + message.charge.units
            usd = round(hold.estimated_usd + sum(m.charge.usd for m in held), 10)
            self.holds[hold_id] = replace(hold, messages=messages, units=units, estimated_usd=usd)
            self._incidents.put_entry(incident_id, entry)
            return AddOutcome.ADDED

    def get(self, hold_id: str) -> Hold | None:
        return self.holds.get(hold_id)

    def recent(self, state: HoldState | None = None, limit: int = 100) -> list[Hold]:
        newest = sorted(self.holds.values(), key=lambda hold: hold.hold_id, reverse=True)
        return [hold for hold in newest if state is None or hold.state is state][:limit]

    def open_for(self, incident_id: str) -> str | None:
        return self._open.get(incident_id)

    def settle(self, hold_id: str, state: HoldState, by: str, now: datetime) -> Hold | None:
        with self._lock:
            hold = self.holds.get(hold_id)
            if hold is None or hold.state is not HoldState.HELD:
                return None
            settled = replace(hold, state=state, settled_at=now, settled_by=by)
            self.holds[hold_id] = settled
            if self._open.get(hold.incident_id) == hold_id:
                del self._open[hold.incident_id]
            return settled

    def held_jobs(self, hold_id: str) -> list[NotificationJob]:
        return [
            replace(item.job, hold=hold_id)
            for item in self._ledger.items.values()
            if item.status == HELD and item.hold_id == hold_id
        ]

    def mark_queued(self, hold_id: str, now: datetime) -> None:
        self.holds[hold_id] = replace(self.holds[hold_id], queued=True)

    def cancel_messages(self, hold_id: str, now: datetime) -> int:
        cancelled = 0
        for item in self._ledger.items.values():
            if item.status == HELD and item.hold_id == hold_id:
                item.status = CANCELLED
                cancelled += 1
        return cancelled
