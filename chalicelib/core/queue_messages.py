"""How received events and notification jobs travel on the ingest and dispatch queues, as JSON.

Pure: the SQS adapters encode, the queue handlers decode. Jobs name contacts by id only, so no
personal data travels through a queue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from chalicelib.core.events import event_to_document, parse_event
from chalicelib.core.json_text import compact_json
from chalicelib.core.model import Channel, Notice, NotificationJob, ReceivedEvent


def encode_received(received: ReceivedEvent) -> str:
    # Compact, and UTF-8 as accepted: the message stays the size of the body that was accepted.
    return compact_json(
        {
            "event_id": received.event_id,
            "received_at": received.received_at.isoformat(),
            "event": event_to_document(received.event),
            "format": received.format,
            "original": received.original,
            "namespace": received.namespace,
            **({"held": True} if received.held else {}),
        }
    )


def decode_received(body: str) -> ReceivedEvent:
    document = json.loads(body)
    return ReceivedEvent(
        event_id=document["event_id"],
        received_at=datetime.fromisoformat(document["received_at"]),
        event=parse_event(document["event"]),
        format=document.get("format", "tocsin"),
        original=document.get("original"),
        namespace=document.get("namespace", ""),  # "": queued before namespaces existed
        held=document.get("held") is True,
    )


def encode_jobs(incident_id: str, jobs: Sequence[NotificationJob]) -> str:
    """Jobs name contacts by id only: no personal data travels through the queue."""
    return compact_json(
        {
            "incident_id": incident_id,
            "jobs": [
                [
                    job.contact_id,
                    job.channel.value,
                    job.step,
                    [c.value for c in job.fallbacks],
                    job.notice.value,
                    *([job.hold] if job.hold else []),
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
            rest[2] if len(rest) > 2 else None,
        )
        for contact_id, channel, step, *rest in document["jobs"]
    ]
