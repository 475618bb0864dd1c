"""An event that cannot be decided ends ``failed`` with why (the evaluator gives up at its queue
message's last receive), and is decided after all when its message is redriven after a fix."""

from __future__ import annotations

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
