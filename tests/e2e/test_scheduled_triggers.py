"""The tick fires the weekly path test once per slot, and the path reaches a person."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from chalice.test import Client

from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.e2e.conftest import sent_email, use_container


def test_the_weekly_path_test_fires_once_and_reaches_it_security(
    client: Client, runner: QueueRunner, world: boto3.Session
) -> None:
    # Monday 2026-11-23 10:00 Copenhagen is 09:00 UTC; the tick runs two minutes later, twice.
    clock = FixedClock(datetime(2026, 11, 23, 9, 2, tzinfo=UTC))
    use_container(clock=clock)
    tick = scheduled_event("fire_scheduled_triggers", "us-east-1")
    client.lambda_.invoke("fire_scheduled_triggers", tick)
    clock.current = datetime(2026, 11, 23, 9, 3, tzinfo=UTC)
    client.lambda_.invoke("fire_scheduled_triggers", tick)
    runner.drain()

    emails = sent_email(world)
    # it-security: Chen and Fay; a 'test' event is marked as an exercise.
    assert sorted(address for address, _ in emails) == ["chen@example.com", "fay@example.com"]
    assert all(subject.startswith("[EXERCISE] ") for _, subject in emails)


def test_nothing_fires_outside_a_slot(
    client: Client, runner: QueueRunner, world: boto3.Session
) -> None:
    use_container(clock=FixedClock(datetime(2026, 11, 24, 9, 2, tzinfo=UTC)))  # Tuesday
    client.lambda_.invoke(
        "fire_scheduled_triggers", scheduled_event("fire_scheduled_triggers", "us-east-1")
    )
    runner.drain()
    assert sent_email(world) == []
