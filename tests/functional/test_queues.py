"""The ingest and dispatch queues and the schedule slots, fake and SQS/DynamoDB alike: what is
put on a queue comes off it unchanged, jobs travel 50 to a message, grouped by incident; a queue
that refuses raises TransientError; a slot fires once until released."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core.activation.ports import EventQueue, ScheduleSlots
from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import Channel, Notice, NotificationJob, ReceivedEvent
from chalicelib.core.queue_messages import decode_jobs, decode_received
from chalicelib.settings import Settings
from fakes import FixedClock, MemoryDispatchQueue, MemoryEventQueue, MemoryScheduleSlots
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EVENT = {"source": "test", "type": "it.outage", "severity": "high", "summary": "x"}


@dataclass(frozen=True)
class Queues:
    events: EventQueue
    jobs: DispatchQueue
    take_events: Callable[[], list[ReceivedEvent]]
    take_jobs: Callable[[], list[tuple[str, list[NotificationJob]]]]  # message by message
    refuse: Callable[[], None]  # make both queues refuse what is put on them
    wait: Callable[[float], None]  # let seconds pass (the fake's clock, or the wall clock)


def drain(session: boto3.Session, queue: str) -> list[str]:
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(params=BACKENDS)
def queues(request: pytest.FixtureRequest) -> Queues:
    if request.param == "fake":
        clock = FixedClock(NOW)
        events, jobs = MemoryEventQueue(), MemoryDispatchQueue(clock)

        def refuse_fake() -> None:
            events.refusing = jobs.refusing = True

        def wait_fake(seconds: float) -> None:
            clock.advance(seconds=seconds)

        return Queues(events, jobs, events.take, jobs.take_messages, refuse_fake, wait_fake)
    from chalicelib.storage.queues import SqsDispatchQueue, SqsEventQueue

    session: boto3.Session = request.getfixturevalue("resources")
    settings: Settings = request.getfixturevalue("settings")
    sqs = session.client("sqs")

    def refuse_sqs() -> None:
        for name in (settings.ingest_queue, settings.dispatch_queue):
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])

    return Queues(
        SqsEventQueue(sqs, settings.ingest_queue),
        SqsDispatchQueue(sqs, settings.dispatch_queue),
        lambda: [decode_received(body) for body in drain(session, settings.ingest_queue)],
        lambda: [decode_jobs(body) for body in drain(session, settings.dispatch_queue)],
        refuse_sqs,
        time.sleep,  # moto delays messages in wall-clock time, as SQS does
    )


@pytest.fixture(params=BACKENDS)
def slots(request: pytest.FixtureRequest) -> ScheduleSlots:
    if request.param == "fake":
        return MemoryScheduleSlots()
    from chalicelib.storage.schedule_slots import DynamoScheduleSlots

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoScheduleSlots(client, request.getfixturevalue("settings").incidents_table)


def test_received_events_come_off_the_queue_as_they_went_on(queues: Queues) -> None:
    event = parse_event({**EVENT, "source": "grafana", "summary": "Ærø: ∅", "metrics": {"n": 2.5}})
    sent = [
        ReceivedEvent("evt_1", NOW, event),
        ReceivedEvent("evt_2", NOW, event, format="grafana", original={"raw": [1, "two"]}),
    ]
    queues.events.put_many(sent)
    assert sorted(queues.take_events(), key=lambda r: r.event_id) == sent


def test_jobs_travel_fifty_to_a_message_grouped_by_incident(queues: Queues) -> None:
    many = [NotificationJob("inc_1", f"c-{n:03d}", Channel.SMS) for n in range(120)]
    others = [
        NotificationJob("inc_2", "c-ada", Channel.PUSH, 2, (Channel.SMS, Channel.VOICE)),
        NotificationJob("inc_2", "c-ada", Channel.SMS, notice=Notice.RESOLVED),
    ]
    queues.jobs.put_jobs(many[:60] + others + many[60:])
    messages = queues.take_jobs()
    assert sorted(len(jobs) for _, jobs in messages) == [2, 20, 50, 50]
    assert all({job.incident_id for job in jobs} == {incident} for incident, jobs in messages)
    received = [job for _, jobs in messages for job in jobs]
    assert sorted(received, key=repr) == sorted(many + others, key=repr)


def test_delayed_jobs_are_handed_out_only_once_their_delay_has_passed(queues: Queues) -> None:
    """How a job held by another invocation goes back on the queue until that claim is stale."""
    held = NotificationJob("inc_1", "c-ada", Channel.SMS)
    queues.jobs.put_jobs([held], timedelta(seconds=1))
    queues.jobs.put_jobs([NotificationJob("inc_2", "c-bo", Channel.EMAIL)])
    assert [incident for incident, _ in queues.take_jobs()] == ["inc_2"]
    queues.wait(1.2)
    assert queues.take_jobs() == [("inc_1", [held])]


def test_a_queue_that_refuses_raises_a_transient_error(queues: Queues) -> None:
    queues.refuse()
    with pytest.raises(TransientError):
        queues.jobs.put_jobs([NotificationJob("inc_1", "c-ada", Channel.SMS)])
    with pytest.raises(TransientError):
        queues.events.put_many([ReceivedEvent("evt_1", NOW, parse_event(EVENT))])


def test_a_slot_fires_once_until_it_is_released(slots: ScheduleSlots) -> None:
    assert slots.claim("weekly-path-test", NOW) is True
    assert slots.claim("weekly-path-test", NOW) is False
    assert slots.claim("weekly-path-test", NOW.replace(hour=10)) is True
    assert slots.claim("another", NOW) is True
    slots.release("weekly-path-test", NOW)
    assert slots.claim("weekly-path-test", NOW) is True


def test_events_travel_in_batches_sqs_accepts_whatever_their_size(
    resources: boto3.Session, settings: Settings
) -> None:
    """SendMessageBatch takes ten messages and 256 KiB together (moto does not check: this
    test does). Ten events of 60 KB each go four, four and two to a call, and all arrive."""
    from chalicelib.storage.queues import SqsEventQueue

    sqs = resources.client("sqs")
    batches: list[tuple[int, int]] = []  # (messages, bytes) of each call

    def measure(params: dict[str, Any], **_: Any) -> None:
        entries = params["Entries"]
        batches.append((len(entries), sum(len(e["MessageBody"].encode()) for e in entries)))

    sqs.meta.events.register("before-parameter-build.sqs.SendMessageBatch", measure)
    event = parse_event({**EVENT, "details": {"note": "ü" * 30_000}})  # 60 KB once queued
    sent = [ReceivedEvent(f"evt_{n}", NOW, event) for n in range(10)]
    SqsEventQueue(sqs, settings.ingest_queue).put_many(sent)

    assert all(count <= 10 and size <= 256 * 1024 for count, size in batches), batches
    assert [count for count, _ in batches] == [4, 4, 2]
    arrived = [decode_received(body) for body in drain(resources, settings.ingest_queue)]
    assert sorted(arrived, key=lambda r: r.event_id) == sent
