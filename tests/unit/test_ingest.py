"""Accepting events (IngestService), on the fakes: all or nothing, recorded as pending before
they are queued, and nothing kept when the queue refuses."""

from __future__ import annotations

import pytest

from chalicelib.core.activation.intake import Sender
from chalicelib.core.errors import Forbidden, InvalidEvent, TransientError
from chalicelib.core.model import CanonicalEvent, DecisionOutcome
from fakes import MemoryWorld
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
