"""An event's first delivery is decided without reading its record (one DynamoDB call less on the
way to the first page): the intake just wrote it pending. Copies of one message (SQS delivers
at least once) are settled by the conditional writes; a redelivery, and a held event the tick
queues, still read the record."""

from __future__ import annotations

from dataclasses import replace

import pytest
from chalice.app import SQSRecord

from chalicelib.core.activation.ports import EventRecord
from chalicelib.core.model import DecisionOutcome
from chalicelib.core.queue_messages import decode_received, encode_received
from chalicelib.core.telemetry import EVENTS_DECIDED
from chalicelib.handlers.queues import first_delivery
from fakes import MemoryWorld
from tests.unit.conftest import OUTAGE, SENDER, incident_of, texts


def reads_of(org: MemoryWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    get = org.events.get

    def counted(event_id: str) -> EventRecord | None:
        reads.append(event_id)
        return get(event_id)

    monkeypatch.setattr(org.events, "get", counted)
    return reads


def test_a_first_delivery_is_decided_without_reading_its_record(
    org: MemoryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = reads_of(org, monkeypatch)
    received = org.ingest.accept(OUTAGE, SENDER)
    [queued] = org.event_queue.take()
    decision = org.evaluator.handle(queued, first_delivery=True)
    assert decision.outcome is DecisionOutcome.ACTIVATED
    assert received.event_id not in reads
    record = org.events.get(received.event_id)
    assert record is not None and record.outcome is DecisionOutcome.ACTIVATED


def test_two_copies_of_one_message_decide_once_and_page_once(org: MemoryWorld) -> None:
    org.ingest.accept(OUTAGE, SENDER)
    [queued] = org.event_queue.take()
    first = org.evaluator.handle(queued, first_delivery=True)
    again = org.evaluator.handle(queued, first_delivery=True)  # the copy, also a first hand-out
    org.run_queues()
    assert first.incident_id == again.incident_id is not None  # one incident, not two
    assert org.meter.total(EVENTS_DECIDED.name) == 1  # decided (and counted) once
    assert org.sent() and all(len(texts(org, m.destination)) == 1 for m in org.sms.sent)


def test_a_redelivery_reads_the_record(org: MemoryWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    received = org.ingest.accept(OUTAGE, SENDER)
    [queued] = org.event_queue.take()
    org.evaluator.handle(queued, first_delivery=True)
    reads = reads_of(org, monkeypatch)
    decision = org.evaluator.handle(queued)  # after a crash: SQS hands it out again
    assert reads == [received.event_id]
    assert decision.outcome is DecisionOutcome.ACTIVATED
    assert decision.incident_id == incident_of(org, received).incident_id


def test_a_held_event_queued_by_the_tick_says_so_in_its_message(org: MemoryWorld) -> None:
    """(test_out_of_hours.py decides such events through the tick, as first deliveries.)"""
    plain = org.ingest.accept(OUTAGE, SENDER)
    assert decode_received(encode_received(replace(plain, held=True))).held
    assert not decode_received(encode_received(plain)).held
    assert "held" not in encode_received(plain)  # the intake's messages stay as they were


@pytest.mark.parametrize(
    ("attributes", "first"),
    [
        ({"ApproximateReceiveCount": "1"}, True),
        ({"ApproximateReceiveCount": "2"}, False),
        ({}, False),  # not said: read, as for a redelivery
    ],
)
def test_the_handler_knows_a_first_delivery_by_its_receive_count(
    attributes: dict[str, str], first: bool
) -> None:
    raw = {"messageId": "m-1", "receiptHandle": "r-1", "body": "{}", "attributes": attributes}
    record = SQSRecord(raw, {})
    assert first_delivery(record) is first
