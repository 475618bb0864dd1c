"""Accept an event: validate it, record it as pending, put it durably on the ingest queue."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_event_id
from chalicelib.core.model import ReceivedEvent
from chalicelib.core.ports import Clock, EventQueue, EventStore


class IngestService:
    def __init__(self, events: EventStore, queue: EventQueue, clock: Clock) -> None:
        self._events = events
        self._queue = queue
        self._clock = clock

    def accept(self, document: Any) -> ReceivedEvent:
        """Validate and enqueue; when this returns, the event will be decided.

        The event is recorded as pending before it is queued, so ``GET /v1/events/{id}``
        answers at once; if the queue refuses it, the record is removed and the caller is
        told to retry (nothing half-accepted).
        """
        event = parse_event(document)
        now = self._clock.now()
        received = ReceivedEvent(event_id=new_event_id(now), received_at=now, event=event)
        self._events.record_received(received)
        try:
            self._queue.put(received)
        except TransientError:
            self._events.forget(received.event_id)
            raise
        return received
