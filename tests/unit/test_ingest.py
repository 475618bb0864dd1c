"""Accepting events (IngestService), on the fakes: all or nothing, recorded as pending before
they are queued, and nothing kept when the queue refuses."""

from __future__ import annotations

import pytest

from chalicelib.core.activation.intake import IngestService, Sender
from chalicelib.core.errors import Forbidden, InvalidEvent, PayloadTooLarge, TransientError
from chalicelib.core.model import CanonicalEvent, DecisionOutcome, ReceivedEvent
from fakes import MemoryEventStore, MemoryWorld
from tests.unit.conftest import NIGHT, OUTAGE, SENDER


def test_an_accepted_event_is_pending_and_queued(org: MemoryWorld) -> None:
    received = org.ingest.accept(OUTAGE, SENDER)
    record = org.events.get(received.event_id)
    assert record is not None
    assert (record.outcome, record.received_at) == (DecisionOutcome.PENDING, NIGHT)
    assert org.event_queue.take() == [received]


def test_one_invalid_document_refuses_the_whole_request(org: MemoryWorld) -> None:
    with pytest.raises(InvalidEvent, match="severity"):
        org.ingest.accept_many([OUTAGE, {**OUTAGE, "severity": "apocalyptic"}], SENDER)
    assert org.events.received == {} and org.event_queue.bodies == []


def test_when_the_queue_refuses_nothing_is_kept_and_the_caller_retries(org: MemoryWorld) -> None:
    org.event_queue.refusing = True
    with pytest.raises(TransientError):
        org.ingest.accept_many([OUTAGE, OUTAGE], SENDER)
    assert org.events.received == {}


def test_the_caller_may_be_refused_an_action_before_anything_is_kept(org: MemoryWorld) -> None:
    def triggers_only(event: CanonicalEvent) -> None:
        if event.action.value != "trigger":
            raise Forbidden("this key may only trigger")

    with pytest.raises(Forbidden):
        org.ingest.accept({**OUTAGE, "action": "resolve"}, Sender("test", allow=triggers_only))
    assert org.events.received == {}


def test_a_huge_original_payload_is_not_carried_along(org: MemoryWorld) -> None:
    [kept] = org.ingest.accept_many(
        [OUTAGE], SENDER, format="grafana", original={"a": "x" * 70_000}
    )
    assert kept.original == {"omitted": "original payload over 64 KiB"}
    [small] = org.ingest.accept_many([OUTAGE], SENDER, format="grafana", original={"a": 1})
    assert org.event_queue.take()[-1].original == small.original == {"a": 1}


def test_an_original_that_would_not_fit_beside_the_event_is_left_out(org: MemoryWorld) -> None:
    """Each alone is within its limit (the original under 64 KiB, the event under 256 KiB),
    but both would not fit the queue message and the timeline entry: the event is kept."""
    big = {**OUTAGE, "details": {"note": "ø" * 110_000}}  # 220 KB once stored
    [received] = org.ingest.accept_many(
        [big],
        SENDER,
        format="grafana",
        original={"a": "å" * 30_000},  # 60 KB
    )
    assert received.original == {"omitted": "original payload over 64 KiB"}
    assert org.event_queue.take() == [received]


def test_an_event_that_would_not_fit_once_stored_is_refused_and_nothing_is_kept(
    org: MemoryWorld,
) -> None:
    huge = {**OUTAGE, "details": {"note": "€" * 90_000}}  # three bytes each: 270 KB
    with pytest.raises(PayloadTooLarge, match=r"event 1 takes \d+ bytes once stored; the limit"):
        org.ingest.accept_many([OUTAGE, huge], SENDER)
    assert org.events.received == {} and org.event_queue.bodies == []


class FailingOnSecond(MemoryEventStore):
    """DynamoDB fails while the second event of a request is recorded."""

    def record_received(self, received: ReceivedEvent) -> None:
        if self.received:
            raise RuntimeError("DynamoDB: the connection was reset")
        super().record_received(received)


def test_whatever_fails_while_accepting_no_event_is_left_pending(org: MemoryWorld) -> None:
    """Only a queue refusal used to clean up: any other failure left the events recorded as
    pending, never queued, never decided."""
    events = FailingOnSecond()
    ingest = IngestService(events, org.event_queue, org.clock)
    with pytest.raises(RuntimeError):
        ingest.accept_many([OUTAGE, OUTAGE], SENDER)
    assert events.received == {} and org.event_queue.bodies == []


def test_aws_events_with_a_lone_surrogate_are_refused_like_a_body() -> None:
    """EventBridge hands Lambda parsed JSON: the same rule as for bodies applies."""
    org = MemoryWorld.example(NIGHT)
    with pytest.raises(InvalidEvent, match="lone UTF-16 surrogate"):
        org.ingest.accept({**OUTAGE, "details": {"region": "eu-\ud800"}}, SENDER)
    assert org.events.received == {}
