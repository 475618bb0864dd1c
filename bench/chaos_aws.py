"""The harness's AWS: SQS as the handlers meet it, and a container over the fakes.

:class:`ChaosSqs` stands in for SQS behind the real queue adapters (``storage/queues.py``,
which call ``get_queue_url`` and ``send_message_batch``) and for Lambda's event source
mapping: every message is stored twice (SQS delivers at least once), batches are handed out in
random order, a message failed or lost with its invocation comes back after its visibility
timeout, and one received more than ``maxReceiveCount`` times moves to its dead-letter queue.
:class:`ChaosContainer` is the production composition root (``wiring.Container``) with the
contract-tested fakes behind :class:`AwsProxy` in place of DynamoDB: the real handlers, use
cases and wiring run; only the storage underneath is in memory. A new one is a new Lambda
instance (caches, token buckets, nothing carried over).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from bench.chaos_faults import AwsProxy, Faults, FaultyChannel
from chalicelib.core.activation.ports import EventRecord
from chalicelib.core.dropin.changes import ChangeLog
from chalicelib.core.messaging.first_batch import FirstBatch
from chalicelib.core.messaging.pacing import PacedSender, TokenBucket
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import (
    Channel,
    Contact,
    Incident,
    NotificationJob,
    TimelineEntry,
)
from chalicelib.core.queue_messages import decode_jobs
from chalicelib.core.statements.desk import StatementDesk
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from fakes.channels import RecordingChannel
from fakes.clock import FixedClock
from fakes.dropin import MemoryChangeStore
from fakes.world import MemoryWorld

VISIBILITY = timedelta(seconds=60)  # the dispatch Lambda's timeout, and then some
REGION = "us-east-1"


@dataclass
class QueuedMessage:
    message_id: str
    body: str
    visible_at: datetime
    receives: int = 0


class ChaosSqs:
    """Queues by name, with what SQS does under load: duplicates, reordering, redelivery."""

    def __init__(self, faults: Faults, max_receives: int, duplicate: bool = True) -> None:
        self._faults = faults
        self._max_receives = max_receives
        self._duplicate = duplicate
        self._ids = itertools.count(1)
        self.queues: dict[str, list[QueuedMessage]] = {}
        self.dead: dict[str, list[QueuedMessage]] = {}
        # every job ever queued, by (incident, ledger name)
        self.planned: dict[tuple[str, str], NotificationJob] = {}
        self.copies = 0  # second copies delivered (SQS at-least-once)
        self.moved_to_dlq = 0

    # -- what the adapters call (boto3's SQS client) --------------------------------------
    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        self.queues.setdefault(QueueName, [])
        return {"QueueUrl": QueueName}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        def send() -> dict[str, Any]:
            for entry in Entries:
                self.put(QueueUrl, entry["MessageBody"], int(entry.get("DelaySeconds", 0)))
            return {"Successful": [{"Id": entry["Id"]} for entry in Entries]}

        try:
            return self._faults.aws_call(f"sqs.{QueueUrl}.SendMessageBatch", send)
        except Exception as error:
            error_response: Any = {"Error": {"Code": "ServiceUnavailable", "Message": str(error)}}
            raise ClientError(error_response, "SendMessageBatch") from error

    # -- the queue itself -----------------------------------------------------------------
    def put(self, queue: str, body: str, delay_seconds: int = 0) -> None:
        at = self._faults.clock.now() + timedelta(seconds=delay_seconds)
        copies = 2 if self._duplicate else 1
        self.copies += copies - 1
        for _ in range(copies):
            self.queues.setdefault(queue, []).append(QueuedMessage(self._new_id(), body, at))
        if "dispatch" in queue:
            incident_id, jobs = decode_jobs(body)
            for job in jobs:
                self.planned[(incident_id, job.ledger_name)] = job

    def _new_id(self) -> str:
        return f"msg-{next(self._ids):08d}"

    def visible(self, queue: str) -> list[QueuedMessage]:
        now = self._faults.clock.now()
        return [message for message in self.queues.get(queue, []) if message.visible_at <= now]

    def next_visible(self) -> datetime | None:
        return min(
            (m.visible_at for messages in self.queues.values() for m in messages), default=None
        )

    def receive(self, queue: str, rng: random.Random, limit: int = 10) -> list[QueuedMessage]:
        """Up to ``limit`` visible messages in random order; each is invisible for a while
        (the batch's invocation holds it). Past maxReceiveCount, to the dead-letter queue."""
        ready = self.visible(queue)
        rng.shuffle(ready)
        batch = []
        for message in ready[:limit]:
            if message.receives >= self._max_receives:
                self.queues[queue].remove(message)
                self.dead.setdefault(queue, []).append(message)
                self.moved_to_dlq += 1
                continue
            message.receives += 1
            message.visible_at = self._faults.clock.now() + VISIBILITY
            batch.append(message)
        return batch

    def delete(self, queue: str, message: QueuedMessage) -> None:
        self.queues[queue].remove(message)

    def retry_later(self, message: QueuedMessage, delay: timedelta) -> None:
        message.visible_at = self._faults.clock.now() + delay

    def redrive(self) -> int:
        """What ``tocsin dlq redrive`` does: the dead letters back on their queues."""
        moved = 0
        for queue, messages in self.dead.items():
            for message in messages:
                message.receives = 0
                message.visible_at = self._faults.clock.now()
                self.queues[queue].append(message)
                moved += 1
            messages.clear()
        return moved

    def record(self, queue: str, message: QueuedMessage) -> dict[str, Any]:
        """The record Lambda builds for an SQS message (as ``local/runner.py``)."""
        return {
            "messageId": message.message_id,
            "receiptHandle": message.message_id,
            "body": message.body,
            "attributes": {"ApproximateReceiveCount": str(message.receives)},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{queue}",
            "awsRegion": REGION,
        }


class _CountedFirstBatch(FirstBatch):
    def __init__(
        self, planned: dict[tuple[str, str], NotificationJob], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._planned = planned

    def send(
        self, incident: Incident, jobs: Sequence[NotificationJob], contacts: Sequence[Contact]
    ) -> list[NotificationJob]:
        for job in jobs:
            self._planned[(incident.incident_id, job.ledger_name)] = job
        return super().send(incident, jobs, contacts)


class HarnessContainer(Container):
    """What both backends replace in ``wiring.Container``, and only that: SQS (``ChaosSqs``:
    moto's queues delay in wall-clock time and never deliver twice) and the channels, each a
    :class:`FaultyChannel` over a recording stand-in, paced as production paces them with the
    pacer's waits on the harness's clock. A new one is a new Lambda instance."""

    def __init__(
        self,
        settings: Settings,
        clock: FixedClock,
        sqs: ChaosSqs,
        faults: Faults,
        channels: dict[Channel, RecordingChannel],
        session: Any = None,
    ) -> None:
        super().__init__(settings, session, clock=clock)
        self._harness_clock = clock
        self._sqs = sqs
        self._faults = faults
        self._recording = channels

    def client(self, service: str) -> Any:
        if service == "sqs":
            return self._sqs
        return super().client(service)

    @cached_property
    def first_batch(self) -> FirstBatch:
        """Production's; the jobs the evaluator sends itself are planned too (never queued)."""
        return _CountedFirstBatch(self._sqs.planned, self.dispatcher, self.dispatch_queue)

    @cached_property
    def link_secret(self) -> bytes:
        return b"chaos-link-secret"

    @cached_property
    def public_url(self) -> str:
        return "http://127.0.0.1:8000"

    @cached_property
    def senders(self) -> dict[Channel, ChannelSender]:
        """Each channel behind its faults, paced as production paces it; the pacer's waits
        pass on the harness's clock."""
        faults = self._faults
        clock = self._harness_clock
        return {
            channel: PacedSender(
                FaultyChannel(recording, faults),
                TokenBucket(
                    1000.0,
                    burst=50.0,
                    monotonic=lambda: clock.now().timestamp(),
                    sleep=faults.sleep,
                ),
                sleep=faults.sleep,
                jitter=faults.rng.uniform,
            )
            for channel, recording in self._recording.items()
        }


class ChaosContainer(HarnessContainer):
    """``wiring.Container`` over the fakes of ``world``, each behind an :class:`AwsProxy`.
    Only what the composition root takes from DynamoDB is replaced; the use cases, the pacing
    and the handlers are production's."""

    def __init__(
        self,
        settings: Settings,
        world: MemoryWorld,
        sqs: ChaosSqs,
        faults: Faults,
        channels: dict[Channel, RecordingChannel],
    ) -> None:
        super().__init__(settings, world.clock, sqs, faults, channels)
        self._world = world

    def _aws(self, name: str) -> Any:
        return AwsProxy(getattr(self._world, name), name, self._faults)

    def client(self, service: str) -> Any:
        if service == "sqs":
            return self._sqs
        raise RuntimeError(f"the chaos harness has no {service}")

    @cached_property
    def events(self) -> Any:
        return self._aws("events")

    @cached_property
    def incidents(self) -> Any:
        return self._aws("incidents")

    @cached_property
    def ledger(self) -> Any:
        return self._aws("ledger")

    @cached_property
    def directory(self) -> Any:
        return self._aws("directory")

    @cached_property
    def playbooks(self) -> Any:
        return self._aws("playbooks")

    @cached_property
    def overrides(self) -> Any:
        return self._aws("overrides")

    @cached_property
    def responders(self) -> Any:
        return self._aws("responders")

    @cached_property
    def spend_counters(self) -> Any:
        return self._aws("spend_counters")

    @cached_property
    def holds(self) -> Any:
        return self._aws("holds")

    @cached_property
    def checkin_store(self) -> Any:
        return self._aws("checkin_store")

    @cached_property
    def update_schedule(self) -> Any:
        return self._aws("update_schedule")

    @cached_property
    def statement_desk(self) -> StatementDesk:
        return StatementDesk(
            self._aws("statements"),
            self.incidents,
            self.playbooks,
            self.directory,
            self.senders,
            self.clock,
        )

    @cached_property
    def change_log(self) -> ChangeLog:
        return ChangeLog(MemoryChangeStore(), self.incidents)

    def record_failure(self, queue: str, message_id: str, reason: str, receives: int) -> None:
        pass  # the dead letters are counted by ChaosSqs


class FakesBackend:
    """The harness's storage on the contract-tested fakes (``make chaos``: 10,000 notifications
    in a few minutes), read back directly at the end."""

    def __init__(self, settings: Settings, world: MemoryWorld) -> None:
        self.settings = settings
        self.world = world
        self.clock = world.clock

    def container(
        self, sqs: ChaosSqs, faults: Faults, channels: dict[Channel, RecordingChannel]
    ) -> Container:
        return ChaosContainer(self.settings, self.world, sqs, faults, channels)

    def incidents(self, event_ids: Iterable[str]) -> list[Incident]:
        return self.world.incidents.incidents()

    def due(self, now: datetime) -> bool:
        return bool(self.world.incidents.due(now))

    def event(self, event_id: str) -> EventRecord | None:
        return self.world.events.get(event_id)

    def stored_events(self) -> list[str]:
        return list(self.world.events.received)

    def ledger_status(self, job: NotificationJob) -> str | None:
        item = self.world.ledger.items.get((job.incident_id, job.ledger_name))
        return None if item is None else item.status

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        return self.world.incidents.timeline(incident_id)

    def close(self) -> None:
        pass
