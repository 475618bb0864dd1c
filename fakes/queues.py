"""The ingest and dispatch queues in memory, carrying what SQS carries: the JSON bodies of
``core/queue_messages.py``, so a value that would not survive the queue does not here either.
A delayed message waits, on the clock the queue is given, until its delay has passed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.core.errors import TransientError
from chalicelib.core.model import NotificationJob, ReceivedEvent
from chalicelib.core.ports import Clock
from chalicelib.core.queue_messages import (
    decode_jobs,
    decode_received,
    encode_jobs,
    encode_received,
)

JOBS_PER_MESSAGE = 50  # as storage/queues.py


class MemoryEventQueue:
    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.refusing = False  # True: put_many fails as SQS does when it refuses a batch

    def put_many(self, received: Sequence[ReceivedEvent]) -> None:
        if self.refusing:
            raise TransientError("the ingest queue refused the events")
        self.bodies += [encode_received(item) for item in received]

    def take(self) -> list[ReceivedEvent]:
        """Everything queued so far, in order; the queue is empty afterwards."""
        bodies, self.bodies = self.bodies, []
        return [decode_received(body) for body in bodies]


class MemoryDispatchQueue:
    def __init__(self, clock: Clock | None = None) -> None:
        """``clock``: the time delays are counted on (needed to delay messages)."""
        self.bodies: list[str] = []  # the messages that can be received now
        self.waiting: list[tuple[datetime, str]] = []  # (when it can be, body): delayed ones
        self.refusing = False
        self._clock = clock

    def put_jobs(self, jobs: Sequence[NotificationJob], delay: timedelta = timedelta(0)) -> None:
        if self.refusing:
            raise TransientError("the dispatch queue refused the jobs")
        if delay > timedelta(0):
            if self._clock is None:
                raise RuntimeError("a MemoryDispatchQueue delays messages only on a clock")
            at = self._clock.now() + min(delay, timedelta(minutes=15))  # SQS's longest delay
            self.waiting += [(at, body) for body in _bodies(jobs)]
            return
        self.bodies += _bodies(jobs)

    def next_due(self) -> datetime | None:
        """When the first delayed message can be received (None: none waits)."""
        return min((at for at, _ in self.waiting), default=None)

    def take_messages(self) -> list[tuple[str, list[NotificationJob]]]:
        """Every message receivable now, as the dispatch handler receives them: (incident, jobs);
        they are gone from the queue afterwards."""
        if self.waiting and self._clock is not None:
            now = self._clock.now()
            self.bodies += [body for at, body in self.waiting if at <= now]
            self.waiting = [(at, body) for at, body in self.waiting if at > now]
        bodies, self.bodies = self.bodies, []
        return [decode_jobs(body) for body in bodies]

    def take(self) -> list[NotificationJob]:
        """Every job receivable now, in order; they are gone from the queue afterwards."""
        return [job for _, jobs in self.take_messages() for job in jobs]


def _bodies(jobs: Sequence[NotificationJob]) -> list[str]:
    """The messages of ``core/queue_messages.py``, as storage/queues.py groups them."""
    by_incident: dict[str, list[NotificationJob]] = {}
    for job in jobs:
        by_incident.setdefault(job.incident_id, []).append(job)
    return [
        encode_jobs(incident_id, incident_jobs[start : start + JOBS_PER_MESSAGE])
        for incident_id, incident_jobs in by_incident.items()
        for start in range(0, len(incident_jobs), JOBS_PER_MESSAGE)
    ]
