"""Accept events: validate them, record them as pending, put them durably on the ingest queue."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.core.activation.ports import EventQueue, EventStore
from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_event_id
from chalicelib.core.model import CanonicalEvent, ReceivedEvent
from chalicelib.core.ports import Clock
from chalicelib.core.telemetry import EVENTS_ACCEPTED, NO_METER, Meter

# An original payload larger than this is not carried along (the canonical event still is):
# it must fit beside the event in one SQS message (256 KiB) and one DynamoDB item (400 KB).
MAX_ORIGINAL_BYTES = 64 * 1024


class IngestService:
    def __init__(
        self, events: EventStore, queue: EventQueue, clock: Clock, meter: Meter = NO_METER
    ) -> None:
        self._events = events
        self._queue = queue
        self._clock = clock
        self._meter = meter

    def accept(
        self, document: Any, allow: Callable[[CanonicalEvent], None] | None = None
    ) -> ReceivedEvent:
        """A native canonical event; see :meth:`accept_many`."""
        [received] = self.accept_many([document], allow=allow)
        return received

    def accept_many(
        self,
        documents: Sequence[Any],
        format: str = "tocsin",
        original: Any = None,
        allow: Callable[[CanonicalEvent], None] | None = None,
    ) -> list[ReceivedEvent]:
        """Validate every document first, then record and enqueue them all.

        All or nothing: one invalid document refuses the whole request. Events are recorded
        as pending before they are queued, so ``GET /v1/events/{id}`` answers at once; if the
        queue refuses them, the records are removed and the caller is told to retry.
        """
        events = [parse_event(document) for document in documents]
        for event in events:
            if allow is not None:
                allow(event)  # e.g. the caller's key must have the scope for the action
        now = self._clock.now()
        kept = (
            original
            if _fits(original)
            else (None if original is None else {"omitted": "original payload over 64 KiB"})
        )
        received = [
            ReceivedEvent(new_event_id(now), now, event, format=format, original=kept)
            for event in events
        ]
        for item in received:
            self._events.record_received(item)
        try:
            self._queue.put_many(received)
        except TransientError:
            for item in received:
                self._events.forget(item.event_id)
            raise
        self._meter.record(EVENTS_ACCEPTED, len(received))
        return received


def _fits(original: Any) -> bool:
    if original is None:
        return True
    text = original if isinstance(original, str) else json.dumps(original, default=str)
    return len(text.encode()) <= MAX_ORIGINAL_BYTES
