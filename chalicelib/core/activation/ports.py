"""What accepting and deciding on events needs: the event queue, the event store, schedule slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from chalicelib.core.errors import RateLimited
from chalicelib.core.model import (
    DecisionOutcome,
    Incident,
    ReceivedEvent,
)

if TYPE_CHECKING:  # a type only: its module (the check-in plan's words) is not imported
    from chalicelib.core.playbook.checkin_request import CheckinRequest


class EventQueue(Protocol):
    """The durable hand-off between accepting an event and deciding on it."""

    def put_many(self, received: Sequence[ReceivedEvent]) -> None: ...


@dataclass(frozen=True)
class RateCharge:
    """What a request costs its key: ``cost`` events against ``limit`` a minute, counted under
    ``key_name`` (a request without events costs one)."""

    key_name: str
    limit: int
    cost: int

    def refused(self, now: datetime) -> RateLimited:
        """Past the rate in ``now``'s minute (its window): try again when the next begins."""
        return RateLimited(
            f"the key {self.key_name!r} may send {self.limit} events a minute "
            "(a request without events counts one)",
            60 - now.second,
        )


def rate_window(now: datetime) -> datetime:
    """The one-minute window a key's rate is counted in."""
    return now.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    received_at: datetime
    outcome: DecisionOutcome
    code: str | None = None
    reason: str | None = None
    incident_id: str | None = None
    decided_at: datetime | None = None
    decide_at: datetime | None = None  # held: when it is decided (its rule's window opens)


class EventStore(Protocol):
    def record_received(self, received: ReceivedEvent) -> None:
        """Record the event ``pending`` and not yet queued (:meth:`unqueued` finds it)."""
        ...

    def record_all(self, received: Sequence[ReceivedEvent], charge: RateCharge | None) -> None:
        """:meth:`record_received` for each, with ``charge`` counted against its key's rate in
        the same write (DynamoDB: one transaction with the first 99): past the rate, nothing
        is recorded nor counted (RateLimited); recorded, the rate is spent."""
        ...

    def mark_queued(self, event_ids: Sequence[str]) -> None:
        """The events are on the ingest queue: no longer found by :meth:`unqueued`."""
        ...

    def unqueued(self, received_before: datetime, limit: int = 100) -> list[str]:
        """Events recorded before ``received_before``, never marked queued and not decided."""
        ...

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
        is tried again, or held); False when it was already decided."""
        ...

    def hold(
        self, received: ReceivedEvent, code: str, reason: str, now: datetime, decide_at: datetime
    ) -> bool:
        """Hold an undecided (pending, failed or held) event until ``decide_at`` (outcome
        ``held``, in the due index); False when it was decided meanwhile."""
        ...

    def held_due(self, now: datetime, limit: int = 100) -> list[ReceivedEvent]:
        """Held events whose ``decide_at`` has come, oldest first."""
        ...

    def held_for(self, scoped_dedup_key: str) -> list[str]:
        """The ids of the events held with this (namespaced) dedup key."""
        ...


@dataclass(frozen=True)
class KeptAnswer:
    """The answer given to a request with an ``Idempotency-Key`` (a 2xx: ids, never data)."""

    status: int
    body: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class KeptRequest:
    fingerprint: str
    answer: KeptAnswer | None  # None: the request is still in flight


class IdempotencyStore(Protocol):
    """Requests by (scope, ``Idempotency-Key``), kept until they expire.

    begin()    -> None: claimed for this request (``claim_id``), because nothing holds the key,
                  or what held it expired, or was in flight since before ``stale_before`` (its
                  process died); else what is kept (in flight, or answered)
    complete() -> the claim keeps its answer
    abandon()  -> the claim is dropped (the request failed: a retry is handled afresh)
    A claim taken over by another request is no longer its first owner's to complete or drop.
    """

    def begin(
        self,
        scope: str,
        key: str,
        claim_id: str,
        fingerprint: str,
        now: datetime,
        stale_before: datetime,
        expires_at: datetime,
    ) -> KeptRequest | None: ...

    def complete(self, scope: str, key: str, claim_id: str, answer: KeptAnswer) -> None: ...

    def abandon(self, scope: str, key: str, claim_id: str) -> None: ...


class ScheduleSlots(Protocol):
    """Which scheduled firings have happened, so that each fires once."""

    def claim(self, schedule_id: str, slot: datetime) -> bool: ...

    def release(self, schedule_id: str, slot: datetime) -> None: ...


class PlanCheckins(Protocol):
    """Starts the check-in a response plan declares when the plan activates, once per incident
    (``core/checkins/plan_step.py``); the check-in's id, or None when it could not start."""

    def start_for(self, incident: Incident, request: CheckinRequest) -> str | None: ...
