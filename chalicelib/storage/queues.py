"""The ingest and dispatch queues (SQS)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.events import event_to_document, parse_event
from chalicelib.core.model import Channel, Notice, NotificationJob, ReceivedEvent

SEND_BATCH_LIMIT = 10  # SQS SendMessageBatch entries
JOBS_PER_MESSAGE = 50  # a dispatch message stays far below SQS's 256 KiB


class _SqsQueue:
    def __init__(self, client: Any, queue_name: str) -> None:
        self._client = client
        self._queue_name = queue_name
        self._url: str | None = None

    def _queue_url(self) -> str:
        if self._url is None:
            self._url = str(self._client.get_queue_url(QueueName=self._queue_name)["QueueUrl"])
        return self._url

    def _send_all(self, bodies: Sequence[str]) -> None:
        try:
            for start in range(0, len(bodies), SEND_BATCH_LIMIT):
                entries = [
                    {"Id": str(index), "MessageBody": body}
                    for index, body in enumerate(bodies[start : start + SEND_BATCH_LIMIT])
                ]
                response = self._client.send_message_batch(
                    QueueUrl=self._queue_url(), Entries=entries
                )
                if response.get("Failed"):
                    codes = sorted({failure["Code"] for failure in response["Failed"]})
                    raise TransientError(f"SQS refused {len(response['Failed'])} messages: {codes}")
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"SQS {self._queue_name}: {type(error).__name__}") from error


class SqsEventQueue(_SqsQueue):
    def put_many(self, received: Sequence[ReceivedEvent]) -> None:
        self._send_all([encode_received(item) for item in received])


class SqsDispatchQueue(_SqsQueue):
    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None:
        by_incident: dict[str, list[NotificationJob]] = {}
        for job in jobs:
            by_incident.setdefault(job.incident_id, []).append(job)
        bodies = [
            encode_jobs(incident_id, incident_jobs[start : start + JOBS_PER_MESSAGE])
            for incident_id, incident_jobs in by_incident.items()
            for start in range(0, len(incident_jobs), JOBS_PER_MESSAGE)
        ]
        self._send_all(bodies)


def encode_received(received: ReceivedEvent) -> str:
    return json.dumps(
        {
            "event_id": received.event_id,
            "received_at": received.received_at.isoformat(),
            "event": event_to_document(received.event),
            "format": received.format,
            "original": received.original,
        },
        default=str,
        ensure_ascii=False,  # keeps the message near the size of the body that was accepted
    )


def decode_received(body: str) -> ReceivedEvent:
    document = json.loads(body)
    return ReceivedEvent(
        event_id=document["event_id"],
        received_at=datetime.fromisoformat(document["received_at"]),
        event=parse_event(document["event"]),
        format=document.get("format", "tocsin"),
        original=document.get("original"),
    )


def encode_jobs(incident_id: str, jobs: Sequence[NotificationJob]) -> str:
    """Jobs name contacts by id only: no personal data travels through the queue."""
    return json.dumps(
        {
            "incident_id": incident_id,
            "jobs": [
                [
                    job.contact_id,
                    job.channel.value,
                    job.step,
                    [c.value for c in job.fallbacks],
                    job.notice.value,
                ]
                for job in jobs
            ],
        }
    )


def decode_jobs(body: str) -> tuple[str, list[NotificationJob]]:
    document = json.loads(body)
    incident_id = document["incident_id"]
    return incident_id, [
        NotificationJob(
            incident_id,
            contact_id,
            Channel(channel),
            int(step),
            tuple(Channel(name) for name in (rest[0] if rest else [])),
            Notice(rest[1]) if len(rest) > 1 else Notice.ALERT,
        )
        for contact_id, channel, step, *rest in document["jobs"]
    ]
