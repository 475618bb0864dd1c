"""Accept events: validate them, record them as pending, put them durably on the ingest queue."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.core.activation.ports import EventQueue, EventStore
from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.ids import new_event_id
from chalicelib.core.model import CanonicalEvent, ReceivedEvent
from chalicelib.core.ports import Clock
from chalicelib.core.redaction import withhold_secrets

# An original payload larger than this is not carried along (the canonical event still is):
# it must fit beside the event in one SQS message (256 KiB) and one DynamoDB item (400 KB).
MAX_ORIGINAL_BYTES = 64 * 1024


def _any_event(event: CanonicalEvent) -> None:
    return None


def _free(count: int) -> None:
    return None


@dataclass(frozen=True)
class Sender:
    """Who sends, as the edge established it.

    ``namespace``: where their dedup keys live (another sender's incidents are out of reach);
    ``allow``: raises for an event they may not send (scope, type); ``admit``: counts the events
    against their rate; ``secrets``: the credential they presented and ``secret_fields``: the
    payload fields their format carries credentials in, neither of which is ever kept.
    """

    namespace: str
    allow: Callable[[CanonicalEvent], None] = _any_event
    admit: Callable[[int], None] = _free
    secrets: tuple[str, ...] = ()
    secret_fields: Collection[str] = ()


class IngestService:
    def __init__(self, events: EventStore, queue: EventQueue, clock: Clock) -> None:
        self._events = events
        self._queue = queue
        self._clock = clock

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
        anything is recorded or queued. Events are recorded as pending before they are
        queued, so ``GET /v1/events/{id}`` answers at once; if the queue refuses them, the
        records are removed and the caller is told to retry.
        """

        def withheld(value: Any) -> Any:
            return withhold_secrets(value, sender.secrets, sender.secret_fields)

        events = [parse_event(withheld(document)) for document in documents]
        for event in events:
            sender.allow(event)  # e.g. the key must have the scope for the action
        sender.admit(len(events))
        now = self._clock.now()
        original = withheld(original)
        kept = (
            original
            if _fits(original)
            else (None if original is None else {"omitted": "original payload over 64 KiB"})
        )
        received = [
            ReceivedEvent(
                new_event_id(now),
                now,
                event,
                format=format,
                original=kept,
                namespace=sender.namespace,
            )
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
        return received


def _fits(original: Any) -> bool:
    if original is None:
        return True
    text = original if isinstance(original, str) else json.dumps(original, default=str)
    return len(text.encode()) <= MAX_ORIGINAL_BYTES
