"""The ingest, dispatch and erasure queues (SQS)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.model import NotificationJob, ReceivedEvent
from chalicelib.core.queue_messages import encode_jobs, encode_received

SEND_BATCH_LIMIT = 10  # SQS SendMessageBatch entries
SEND_BATCH_BYTES = 256 * 1024  # ... and their bodies together
JOBS_PER_MESSAGE = 50  # a dispatch message stays far below SQS's 256 KiB
MAX_DELAY_SECONDS = 900  # SQS DelaySeconds


class _SqsQueue:
    def __init__(self, client: Any, queue_name: str) -> None:
        self._client = client
        self._queue_name = queue_name
        self._url: str | None = None

    def _queue_url(self) -> str:
        if self._url is None:
            self._url = str(self._client.get_queue_url(QueueName=self._queue_name)["QueueUrl"])
        return self._url

    def _send_all(self, bodies: Sequence[str], delay: timedelta = timedelta(0)) -> None:
        seconds = min(MAX_DELAY_SECONDS, max(0, math.ceil(delay.total_seconds())))
        try:
            for batch in _batches(bodies):
                entries = [
                    {"Id": str(index), "MessageBody": body, "DelaySeconds": seconds}
                    for index, body in enumerate(batch)
                ]
                response = self._client.send_message_batch(
                    QueueUrl=self._queue_url(), Entries=entries
                )
                if response.get("Failed"):
                    codes = sorted({failure["Code"] for failure in response["Failed"]})
                    raise TransientError(f"SQS refused {len(response['Failed'])} messages: {codes}")
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"SQS {self._queue_name}: {type(error).__name__}") from error


def _batches(bodies: Sequence[str]) -> Iterator[list[str]]:
    """SendMessageBatch calls: at most 10 messages and 256 KiB together, as SQS requires."""
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode("utf-8"))
        if batch and (len(batch) == SEND_BATCH_LIMIT or size + length > SEND_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        yield batch


class SqsEventQueue(_SqsQueue):
    def put_many(self, received: Sequence[ReceivedEvent]) -> None:
        self._send_all([encode_received(item) for item in received])


class SqsDispatchQueue(_SqsQueue):
    def put_jobs(self, jobs: Sequence[NotificationJob], delay: timedelta = timedelta(0)) -> None:
        by_incident: dict[str, list[NotificationJob]] = {}
        for job in jobs:
            by_incident.setdefault(job.incident_id, []).append(job)
        bodies = [
            encode_jobs(incident_id, incident_jobs[start : start + JOBS_PER_MESSAGE])
            for incident_id, incident_jobs in by_incident.items()
            for start in range(0, len(incident_jobs), JOBS_PER_MESSAGE)
        ]
        self._send_all(bodies, delay)


class SqsErasureQueue(_SqsQueue):
    """Carries an erasure job from one slice to the next: the job's id, nothing personal."""

    def put(self, job_id: str) -> None:
        self._send_all([json.dumps({"job_id": job_id})])
