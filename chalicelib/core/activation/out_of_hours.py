"""Events held outside their rule's active hours, decided when the window opens.

The one-minute tick queues every held event whose ``decide_at`` has come; the evaluator then
decides it as at that instant (the window open), unless a resolve for its dedup key cancelled
the hold meanwhile. Queued again on every tick until decided: deciding is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.core.activation.ports import EventQueue, EventStore
from chalicelib.core.ports import Clock


@dataclass
class HeldTick:
    queued: list[str] = field(default_factory=list)  # the event ids queued to be decided


class HeldEvents:
    def __init__(self, events: EventStore, queue: EventQueue, clock: Clock) -> None:
        self._events = events
        self._queue = queue
        self._clock = clock

    def tick(self) -> HeldTick:
        due = self._events.held_due(self._clock.now())
        if due:  # marked: the evaluator reads their records, which say when to decide them
            self._queue.put_many([replace(received, held=True) for received in due])
        return HeldTick([received.event_id for received in due])
