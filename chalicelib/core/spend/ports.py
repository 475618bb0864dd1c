"""What spending needs: counters that never pass a limit, the holds, and the page queue.

SpendCounters.take()  -> counts the first n messages that fit, in one atomic step per meter and
                         window: several dispatchers at once never count past the limit
SpendCounters.take_all() -> the same for several meters (SMS and email) in one step when all fit
HoldStore.open_hold() -> the incident's hold that is still collecting messages (made if none)
HoldStore.add()       -> ledger items 'sending' -> 'held' with the hold, its counts and a
                         timeline entry, all or nothing
HoldStore.settle()    -> 'held' -> 'released' or 'cancelled', once
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from chalicelib.core.model import Channel, NotificationJob, TimelineEntry
from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.spend.meter import Charge


@dataclass(frozen=True)
class Take:
    """What one meter is asked for: the units of each message, in order, under ``limit``."""

    meter: str
    asks: Sequence[int]
    limit: ChannelBudget


class SpendCounters(Protocol):
    def take(self, meter: str, window: datetime, asks: Sequence[int], limit: ChannelBudget) -> int:
        """Count as many of ``asks`` (the units of each message, in order) as fit under
        ``limit`` in ``window``, and return how many: always a prefix, never past the limit."""
        ...

    def take_all(self, window: datetime, takes: Sequence[Take]) -> list[int]:
        """:meth:`take` for each meter, in one step when every meter's whole ask fits (one
        round trip for a batch of SMS and email, not one a meter); how many each counted."""
        ...

    def claim_page(self, window: datetime, incident_id: str) -> str:
        """The incident whose hold pages the release role in ``window``: the first to ask."""
        ...


class PageQueue(Protocol):
    """Where the release page and released messages go: the dispatch queue."""

    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None: ...


class HoldState(StrEnum):
    HELD = "held"  # collecting messages past the budget, waiting for a person
    RELEASED = "released"  # a person sent them
    CANCELLED = "cancelled"  # a person, or the incident's resolution, cancelled them


@dataclass(frozen=True)
class HeldMessage:
    job: NotificationJob
    charge: Charge


@dataclass(frozen=True)
class Hold:
    """Messages of one incident held past the budget, and what became of them."""

    hold_id: str
    incident_id: str
    state: HoldState
    created_at: datetime
    messages: Mapping[Channel, int] = field(default_factory=dict)
    units: Mapping[Channel, int] = field(default_factory=dict)
    estimated_usd: float = 0.0
    settled_at: datetime | None = None
    settled_by: str | None = None
    queued: bool = False  # released, and its messages are on the dispatch queue

    @property
    def count(self) -> int:
        return sum(self.messages.values())

    def describe(self) -> str:
        """``12 messages (sms 5, email 7)``."""
        parts = ", ".join(f"{channel.value} {n}" for channel, n in sorted(self.messages.items()))
        return f"{self.count} message{'' if self.count == 1 else 's'}" + (
            f" ({parts})" if parts else ""
        )


# Held in one step, all or nothing (a DynamoDB transaction holds 100 writes: these, the hold,
# the timeline entry and the incident's check).
MAX_HELD_PER_ADD = 90


class AddOutcome(StrEnum):
    ADDED = "added"
    SETTLED = "settled"  # the hold was released or cancelled meanwhile: open a new one
    INCIDENT_CLOSED = "incident_closed"  # alerts of an incident no longer open are not held


class HoldStore(Protocol):
    def open_hold(self, incident_id: str, now: datetime) -> str:
        """The id of the incident's hold still collecting messages; a new one if none is."""
        ...

    def add(
        self,
        hold_id: str,
        incident_id: str,
        held: Sequence[HeldMessage],
        entry: TimelineEntry,
        require_open: bool,
    ) -> AddOutcome:
        """Put the claimed messages on hold, with the entry, all or nothing."""
        ...

    def get(self, hold_id: str) -> Hold | None: ...

    def recent(self, state: HoldState | None = None, limit: int = 100) -> list[Hold]:
        """Newest first."""
        ...

    def open_for(self, incident_id: str) -> str | None:
        """The incident's hold still collecting messages, if any."""
        ...

    def settle(self, hold_id: str, state: HoldState, by: str, now: datetime) -> Hold | None:
        """'held' -> ``state``, once: the hold as settled, or None when it was no longer held
        (it stops collecting messages at once: the next held message opens a new hold)."""
        ...

    def held_jobs(self, hold_id: str) -> list[NotificationJob]:
        """The messages still on hold, each as a job released from the hold."""
        ...

    def mark_queued(self, hold_id: str, now: datetime) -> None: ...

    def cancel_messages(self, hold_id: str, now: datetime) -> int:
        """Its ledger items 'held' -> 'cancelled'; how many."""
        ...
