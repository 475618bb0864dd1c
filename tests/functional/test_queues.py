"""The ingest and dispatch queues and the schedule slots, fake and SQS/DynamoDB alike: what is
put on a queue comes off it unchanged, jobs travel 50 to a message, grouped by incident; a queue
that refuses raises TransientError; a slot fires once until released."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.core.activation.ports import EventQueue, ScheduleSlots
from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import Channel, Notice, NotificationJob, ReceivedEvent
from chalicelib.core.queue_messages import decode_jobs, decode_received
from chalicelib.settings import Settings
from fakes import MemoryDispatchQueue, MemoryEventQueue, MemoryScheduleSlots
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
        events, jobs = MemoryEventQueue(), MemoryDispatchQueue()

        def refuse_fake() -> None:
            events.refusing = jobs.refusing = True

        return Queues(events, jobs, events.take, jobs.take_messages, refuse_fake)
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
