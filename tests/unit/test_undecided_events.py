"""An event that cannot be decided ends ``failed`` with why (the evaluator gives up at its queue
message's last receive), and is decided after all when its message is redriven after a fix; an
event stored but never queued (its request crashed) ends ``failed``, ``never_queued``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from chalicelib.core import checkpoints
from chalicelib.core.activation.intake import UNQUEUED_GRACE
from chalicelib.core.model import DecisionOutcome
from fakes import MemoryWorld
from tests.unit.conftest import OUTAGE, SENDER


def test_giving_up_marks_the_event_failed_with_the_reason(org: MemoryWorld) -> None:
    received = org.ingest.accept(OUTAGE, SENDER)
    assert org.evaluator.give_up(received.event_id, "ClientError: too large (tried 5 times)")
    record = org.events.get(received.event_id)
    assert record is not None
    assert (record.outcome, record.code) == (DecisionOutcome.FAILED, "undecidable")
    assert record.reason == "not decided: ClientError: too large (tried 5 times)"
    assert record.decided_at == org.clock.now()


def test_a_failed_event_redriven_after_a_fix_is_decided(org: MemoryWorld) -> None:
    received = org.ingest.accept(OUTAGE, SENDER)
    org.evaluator.give_up(received.event_id, "DynamoDB was down")
    org.run_queues()  # the message, redriven from the dead-letter queue
    record = org.events.get(received.event_id)
    assert record is not None and record.outcome is DecisionOutcome.ACTIVATED
    assert org.sms.sent, "the people were paged after all"


def test_an_event_decided_meanwhile_is_not_marked_failed(org: MemoryWorld) -> None:
    received = org.ingest.accept(OUTAGE, SENDER)
    org.run_queues()
    assert not org.evaluator.give_up(received.event_id, "a late copy failed")
    record = org.events.get(received.event_id)
    assert record is not None and record.outcome is DecisionOutcome.ACTIVATED


class _Crash(BaseException):
    """The Lambda instance dies (as the fault harness's ``LambdaCrash``)."""


def _crash_at(name: str) -> Callable[[str], None]:
    def hook(reached: str) -> None:
        if reached == name:
            raise _Crash(name)

    return hook


def test_an_event_stored_but_never_queued_ends_failed_never_queued(org: MemoryWorld) -> None:
    """A crash between recording an event and queueing it: the sender had no 202 and sends
    again; the record left behind is marked failed by the one-minute tick, not pending for
    ever (found by the fault harness)."""
    checkpoints.install_hook(_crash_at(checkpoints.EVENT_STORED))
    try:
        with pytest.raises(_Crash):
            org.ingest.accept(OUTAGE, SENDER)
    finally:
        checkpoints.install_hook(None)
    [orphan] = org.events.received
    retried = org.ingest.accept(OUTAGE, SENDER)  # the sender's retry is the event
    org.run_queues()
    assert org.ingest.fail_unqueued() == []  # within the grace: the request may still run
    org.clock.advance(UNQUEUED_GRACE + timedelta(seconds=1))
    assert org.ingest.fail_unqueued() == [orphan]
    record = org.events.get(orphan)
    assert record is not None
    assert (record.outcome, record.code) == (DecisionOutcome.FAILED, "never_queued")
    decided = org.events.get(retried.event_id)
    assert decided is not None and decided.outcome is DecisionOutcome.ACTIVATED
    assert org.ingest.fail_unqueued() == []  # once


def test_a_queued_event_is_never_swept_and_one_swept_wrongly_is_decided_after_all(
    org: MemoryWorld,
) -> None:
    queued = org.ingest.accept(OUTAGE, SENDER)
    org.clock.advance(UNQUEUED_GRACE * 2)
    assert org.ingest.fail_unqueued() == []  # queued: not the sweep's, decided or not
    unmarked = org.ingest.accept({**OUTAGE, "dedup_key": "other"}, SENDER)
    org.events.not_queued.add(unmarked.event_id)  # queued, but the mark's removal failed
    org.clock.advance(UNQUEUED_GRACE * 2)
    assert org.ingest.fail_unqueued() == [unmarked.event_id]
    org.run_queues()
    for event in (queued, unmarked):
        record = org.events.get(event.event_id)
        assert record is not None and record.outcome is DecisionOutcome.ACTIVATED
