"""Accept events: validate them, record them as pending, put them durably on the ingest queue."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from chalicelib.core.activation.ports import EventQueue, EventStore, RateCharge
from chalicelib.core.checkpoints import EVENT_STORED, checkpoint
from chalicelib.core.errors import InvalidEvent, PayloadTooLarge, RateLimited
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_event_id
from chalicelib.core.json_text import UnreadableJson, check_value, stored_size
from chalicelib.core.model import CanonicalEvent, DecisionOutcome, ReceivedEvent
from chalicelib.core.ports import Clock
from chalicelib.core.queue_messages import encode_received
from chalicelib.core.redaction import withhold_secrets
from chalicelib.core.telemetry import EVENTS_ACCEPTED, NO_METER, Meter

# An original payload larger than this is not carried along (the canonical event still is):
# it must fit beside the event in one SQS message (256 KiB) and one DynamoDB item (400 KB).
MAX_ORIGINAL_BYTES = 64 * 1024
# What one accepted event may take once stored: its queue message, which holds what its record
# and its timeline entry hold (the event, the original, ids), must fit SQS's 256 KiB; the
# DynamoDB items (400 KB) then fit too. Measured on the stored form, not on the request body.
MAX_STORED_EVENT_BYTES = 256 * 1024
OMITTED = {"omitted": "original payload over 64 KiB"}
# An intake request ends within API Gateway's 29 s; an event still unqueued well after that was
# left by a request that crashed between recording and queueing it.
UNQUEUED_GRACE = timedelta(minutes=5)


def _any_event(event: CanonicalEvent) -> None:
    return None


def _free(count: int) -> RateCharge | None:
    return None


@dataclass(frozen=True)
class Sender:
    """Who sends, as the edge established it.

    ``namespace``: where their dedup keys live (another sender's incidents are out of reach);
    ``allow``: raises for an event they may not send (scope, type); ``admit``: what that many
    events cost against their rate (raises when they never could fit; None: not counted),
    counted as they are recorded; ``secrets``: the credential they presented and
    ``secret_fields``: the payload fields their format carries credentials in, neither of which
    is ever kept.
    """

    namespace: str
    allow: Callable[[CanonicalEvent], None] = _any_event
    admit: Callable[[int], RateCharge | None] = _free
    secrets: tuple[str, ...] = ()
    secret_fields: Collection[str] = ()


class IngestService:
    def __init__(
        self, events: EventStore, queue: EventQueue, clock: Clock, meter: Meter = NO_METER
    ) -> None:
        self._events = events
        self._queue = queue
        self._clock = clock
        self._meter = meter

    def accept(self, document: Any, sender: Sender) -> ReceivedEvent:
        """A native canonical event; see :meth:`accept_many`."""
        [received] = self.accept_many([document], sender)
        return received

    def accept_many(
        self,
        documents: Sequence[Any],
        sender: Sender,
        format: str = "tocsin",
        original: Any = None,
    ) -> list[ReceivedEvent]:
        """Validate every document first, then record and enqueue them all.

        All or nothing: one invalid document, one event the sender may not send, or more
        events than its rate has room for refuses the whole request, and nothing is kept.
        No credential is kept either: it is withheld from the events and the original before
        anything is recorded or queued. Each event is measured as it will be stored, so what
        is accepted fits where it goes and will be decided: an original that would not fit is
        left out, an event that would not fit is refused (413). Events are recorded as pending
        and not yet queued before they are queued, so ``GET /v1/events/{id}`` answers at once;
        if the queue refuses them, the records are removed and the caller is told to retry.
        A crash (or a failed removal) between recording and queueing leaves a record behind
        that was never queued and never confirmed to its sender: :meth:`fail_unqueued` (the
        one-minute tick) marks it ``failed``, ``never_queued``, after ``UNQUEUED_GRACE``.
        """

        def withheld(value: Any) -> Any:
            return withhold_secrets(value, sender.secrets, sender.secret_fields)

        for document in (*documents, original):
            _readable(document)
        events = [parse_event(withheld(document)) for document in documents]
        for event in events:
            sender.allow(event)  # e.g. the key must have the scope for the action
        now = self._clock.now()
        original = withheld(original)
        kept = original if _fits(original) else (None if original is None else OMITTED)
        received = [
            _sized(
                ReceivedEvent(
                    new_event_id(now),
                    now,
                    event,
                    format=format,
                    original=kept,
                    namespace=sender.namespace,
                ),
                index,
            )
            for index, event in enumerate(events)
        ]
        # Counted as they are recorded, in one write: a refused request spends none of the
        # key's rate and records nothing (429); a request that could never fit is 413 here.
        charge = sender.admit(len(events))
        try:
            self._events.record_all(received, charge)
            for _ in received:
                checkpoint(EVENT_STORED)
            self._queue.put_many(received)
        except RateLimited:
            raise  # nothing was recorded
        except Exception:
            # Whatever failed (the queue refusing is a TransientError: 503, retry), the records
            # go; one this removal misses is failed by ``fail_unqueued``, never left pending.
            for item in received:
                self._events.forget(item.event_id)
            raise
        # Queued: decided soon, which clears the mark too, so a failure here changes nothing.
        with contextlib.suppress(Exception):
            self._events.mark_queued([item.event_id for item in received])
        self._meter.record(EVENTS_ACCEPTED, len(received))
        return received

    def fail_unqueued(self, limit: int = 100) -> list[str]:
        """Mark ``failed`` (reason ``never_queued``) the events recorded more than
        ``UNQUEUED_GRACE`` ago that were never queued nor decided: their request crashed
        between the two, so the sender never had a 202 and sends again (a new event, the same
        dedup key). Not queued now: its sender's retry is the event, and deciding this one
        too, minutes later, could page again for an incident handled meanwhile (resolved, it
        no longer dedups). An event that was queued after all (the mark's removal failed) is
        still decided when it arrives: a ``failed`` event may be decided. The event ids."""
        now = self._clock.now()
        failed = []
        for event_id in self._events.unqueued(now - UNQUEUED_GRACE, limit):
            if self._events.record_decision(
                event_id,
                DecisionOutcome.FAILED,
                "never_queued",
                "stored, but its request ended before it was queued (the sender had no 202)",
                now,
            ):
                failed.append(event_id)
        return failed


def _readable(value: Any) -> None:
    """Text every AWS API can carry: payloads that did not come through ``read_json`` (AWS's
    own events) are held to the same rules."""
    try:
        check_value(value)
    except UnreadableJson as problem:
        raise InvalidEvent("$", f"the event {problem}") from None


def _fits(original: Any) -> bool:
    return original is None or stored_size(original) <= MAX_ORIGINAL_BYTES


def _sized(received: ReceivedEvent, index: int) -> ReceivedEvent:
    """``received`` as it will be stored: without its original if only that is too much;
    refused when the event itself would not fit."""
    if _stored_bytes(received) <= MAX_STORED_EVENT_BYTES:
        return received
    if received.original not in (None, OMITTED):
        return _sized(replace(received, original=OMITTED), index)
    raise PayloadTooLarge(
        f"event {index} takes {_stored_bytes(received)} bytes once stored; the limit is "
        f"{MAX_STORED_EVENT_BYTES}: send less in details (or in fewer, smaller alerts)"
    )


def _stored_bytes(received: ReceivedEvent) -> int:
    return len(encode_received(received).encode("utf-8"))
