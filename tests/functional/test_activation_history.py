"""The activation history behind dedup windows, flap damping and rate limits, fake and DynamoDB
alike: opening logs the activation under the rule and the dedup key, and only if neither log
changed since it was read, so a rate limit of N means N however many evaluators race.
(The decisions made on this history are unit-tested on the fakes: tests/unit/test_evaluator.py.)
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.core.ids import incident_id_for_event
from chalicelib.core.ports import OpenOutcome
from chalicelib.core.verdicts import Activation
from tests.functional.test_incident_store import (
    NOW,
    VERDICT,
    Stores,
    incident_for,
    received,
    stores,
)

__all__ = ["stores"]  # the parametrised fixture, fake and DynamoDB
SPAN = timedelta(minutes=10)


def test_an_empty_history_has_version_zero(stores: Stores) -> None:
    snapshot = stores.incidents.history("aws-alarms", "key-a", SPAN)
    assert (snapshot.history.rule, snapshot.history.key) == ((), ())
    assert (snapshot.rule_version, snapshot.key_version, snapshot.keep) == (0, 0, SPAN)


def test_opening_logs_the_activation_under_the_rule_and_the_key(stores: Stores) -> None:
    incidents = stores.incidents
    first = received("key-a")
    opened = incidents.open(
        incident_for(first), first, VERDICT, incidents.history("aws-alarms", "key-a", SPAN)
    )
    snapshot = incidents.history("aws-alarms", "key-a", SPAN)
    logged = (Activation(first.received_at, opened.incident_id),)
    assert (snapshot.history.rule, snapshot.history.key) == (logged, logged)
    assert (snapshot.rule_version, snapshot.key_version) == (1, 1)
    other_key = incidents.history("aws-alarms", "key-b", SPAN)
    assert (other_key.history.rule, other_key.history.key) == (logged, ())


def test_a_stale_history_cannot_open_an_incident(stores: Stores) -> None:
    """Two evaluators read the rule's log, both decide to activate: only the first opens; the
    second is told to decide again on fresh history (so a rate limit of 1 means one)."""
    incidents = stores.incidents
    first, second = received("key-a"), received("key-b")
    for event in (first, second):
        stores.events.record_received(event)
    stale = incidents.history("aws-alarms", "key-a", SPAN)
    also_stale = incidents.history("aws-alarms", "key-b", SPAN)
    opened = incidents.open(incident_for(first), first, VERDICT, stale)
    assert opened.outcome is OpenOutcome.OPENED
    raced = incidents.open(incident_for(second), second, VERDICT, also_stale)
    assert raced.outcome is OpenOutcome.CONTENDED
    assert incidents.get(incident_id_for_event(second.event_id)) is None
    assert incidents.find_open("key-b") is None
    record = stores.events.get(second.event_id)
    assert record is not None and record.outcome.value == "pending"
    fresh = incidents.history("aws-alarms", "key-b", SPAN)
    assert [a.incident_id for a in fresh.history.rule] == [opened.incident_id]
    assert incidents.open(incident_for(second), second, VERDICT, fresh).outcome is (
        OpenOutcome.OPENED
    )


def test_the_logs_keep_a_day_at_least_and_drop_what_is_older(stores: Stores) -> None:
    incidents = stores.incidents
    old = received("flappy", at=NOW - timedelta(days=2))
    opened_old = incidents.open(
        incident_for(old), old, VERDICT, incidents.history("r", "flappy", SPAN)
    )
    assert incidents.resolve(opened_old.incident_id, received("flappy", "resolve"), NOW)
    recent = received("flappy", at=NOW - timedelta(hours=20))
    opened_recent = incidents.open(
        incident_for(recent), recent, VERDICT, incidents.history("r", "flappy", SPAN)
    )
    assert incidents.resolve(opened_recent.incident_id, received("flappy", "resolve"), NOW)
    now = received("flappy", at=NOW)
    opened_now = incidents.open(
        incident_for(now), now, VERDICT, incidents.history("r", "flappy", SPAN)
    )
    snapshot = incidents.history("r", "flappy", SPAN)
    assert [a.incident_id for a in snapshot.history.key] == [
        opened_recent.incident_id,
        opened_now.incident_id,
    ]
    assert snapshot.key_version == 3
