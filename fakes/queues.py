"""The ingest and dispatch queues in memory, carrying what SQS carries: the JSON bodies of
``core/queue_messages.py``, so a value that would not survive the queue does not here either."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.core.errors import TransientError
from chalicelib.core.model import NotificationJob, ReceivedEvent
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
    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.refusing = False

    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None:
        if self.refusing:
            raise TransientError("the dispatch queue refused the jobs")
        by_incident: dict[str, list[NotificationJob]] = {}
        for job in jobs:
            by_incident.setdefault(job.incident_id, []).append(job)
        self.bodies += [
            encode_jobs(incident_id, incident_jobs[start : start + JOBS_PER_MESSAGE])
            for incident_id, incident_jobs in by_incident.items()
            for start in range(0, len(incident_jobs), JOBS_PER_MESSAGE)
        ]

    def take_messages(self) -> list[tuple[str, list[NotificationJob]]]:
        """Every message queued so far, as the dispatch handler receives them: (incident, jobs)."""
        bodies, self.bodies = self.bodies, []
        return [decode_jobs(body) for body in bodies]

    def take(self) -> list[NotificationJob]:
        """Every job queued so far, in order; the queue is empty afterwards."""
        return [job for _, jobs in self.take_messages() for job in jobs]
