"""Dedup windows, flap damping and rate limits hold across events, through DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from chalicelib import wiring
from chalicelib.core.activation.evaluator import Decision
from chalicelib.core.events import parse_event
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import DecisionOutcome, ReceivedEvent
from chalicelib.core.ports import OpenOutcome
from fakes import FixedClock
from tests.functional.test_incident_store import VERDICT, incident_for

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def decide(clock: FixedClock, minutes: float, **fields: Any) -> Decision:
    clock.current = START + timedelta(minutes=minutes)
    event = parse_event({"source": "prometheus:api", "severity": "high", "summary": "x", **fields})
    received = ReceivedEvent(new_event_id(clock.current), clock.current, event)
    container = wiring.container()
    container.events.record_received(received)
    return container.evaluator.handle(received)


def test_a_repeat_within_the_dedup_window_is_a_duplicate_even_after_resolution(
    world: boto3.Session,
) -> None:
    clock = FixedClock(START)
    wiring.container().clock = clock
    outage = {"type": "it.outage", "dedup_key": "db-down"}
    first = decide(clock, 0, **outage)
    assert first.outcome is DecisionOutcome.ACTIVATED
    assert decide(clock, 5, **outage, action="resolve").outcome is DecisionOutcome.RESOLVED
    again = decide(clock, 20, **outage)
    assert (again.outcome, again.incident_id) == (DecisionOutcome.SUPPRESSED, first.incident_id)
    assert "within the 30m dedup window" in again.reason
    timeline = wiring.container().incidents.timeline(first.incident_id or "")
    assert [entry.kind for entry in timeline][-1] == "held_back"
    later = decide(clock, 31, **outage)
    assert later.outcome is DecisionOutcome.ACTIVATED
    assert later.incident_id != first.incident_id


def test_an_open_incident_takes_a_repeat_whatever_the_window(world: boto3.Session) -> None:
    clock = FixedClock(START)
    wiring.container().clock = clock
    first = decide(clock, 0, type="it.outage", dedup_key="db-down")
    joined = decide(clock, 1, type="it.outage", dedup_key="db-down")
    assert (joined.outcome, joined.incident_id) == (DecisionOutcome.UPDATED, first.incident_id)


def test_a_rule_rate_limit_holds_back_the_storm_beyond_its_count(world: boto3.Session) -> None:
    clock = FixedClock(START)
    wiring.container().clock = clock
    alarms = [
        decide(
            clock,
            minute,
            type="it.alarm",
            source="aws.cloudwatch:123:eu-west-1",
            dedup_key=f"alarm-{minute}",
            labels={"aws_region": "eu-west-1"},
        )
        for minute in (0, 1, 2, 3)
    ]
    assert [d.outcome for d in alarms] == [DecisionOutcome.ACTIVATED] * 3 + [
        DecisionOutcome.SUPPRESSED
    ]
    assert alarms[3].reason.startswith("rate limited: rule aws-alarms activated 3 times")
    after = decide(
        clock,
        10.5,
        type="it.alarm",
        source="aws.cloudwatch:123:eu-west-1",
        dedup_key="alarm-late",
        labels={"aws_region": "eu-west-1"},
    )
    assert after.outcome is DecisionOutcome.ACTIVATED


def test_a_stale_history_cannot_open_an_incident(world: boto3.Session) -> None:
    """Two evaluators read the rule's log, both decide to activate: only the first opens; the
    second is told to decide again on fresh history (so a rate limit of 1 means one)."""
    from tests.functional.test_incident_store import received

    incidents = wiring.container().incidents
    span = timedelta(minutes=10)
    first, second = received("key-a"), received("key-b")
    for event in (first, second):
        wiring.container().events.record_received(event)
    stale = incidents.history("aws-alarms", "key-a", span)
    also_stale = incidents.history("aws-alarms", "key-b", span)
    opened = incidents.open(incident_for(first), first, VERDICT, stale)
    assert opened.outcome is OpenOutcome.OPENED
    raced = incidents.open(incident_for(second), second, VERDICT, also_stale)
    assert raced.outcome is OpenOutcome.CONTENDED
    assert incidents.get(incident_id_for_event(second.event_id)) is None
    fresh = incidents.history("aws-alarms", "key-b", span)
    assert [a.incident_id for a in fresh.history.rule] == [opened.incident_id]
