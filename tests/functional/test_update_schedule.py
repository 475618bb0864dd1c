"""One contract for the update schedule, run against the DynamoDB adapter (under moto) and the
in-memory fake: a deadline per incident, set anew by each update (kept by a repeated
activation), found once due, and taken once, only while it is still the one read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.updates.ports import DueUpdate
from chalicelib.storage.incidents import DynamoIncidentStore
from chalicelib.storage.tables import INCIDENTS
from chalicelib.storage.updates import DynamoUpdateSchedule
from fakes import MemoryUpdateSchedule

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
A, B = "inc_01M8TBCTV0FSB6B6FSVJPGZ06W", "inc_01M8TBCTV0FSB6B6FSVJPGZ07X"


@pytest.fixture(params=["memory", "dynamodb"])
def schedule(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryUpdateSchedule()
        return
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        yield DynamoUpdateSchedule(client, "incidents")


def test_a_deadline_is_found_once_due_oldest_first(schedule: Any) -> None:
    assert schedule.set_due(A, NOW + timedelta(hours=1), 1)
    assert schedule.set_due(B, NOW + timedelta(minutes=30), 3)
    assert schedule.due(NOW) == []
    assert schedule.due(NOW + timedelta(minutes=45)) == [
        DueUpdate(B, NOW + timedelta(minutes=30), 3)
    ]
    assert [d.incident_id for d in schedule.due(NOW + timedelta(hours=2))] == [B, A]


def test_a_repeated_activation_keeps_the_deadline_an_update_moves_it(schedule: Any) -> None:
    schedule.set_due(A, NOW + timedelta(hours=1), 2)
    assert not schedule.set_due(A, NOW + timedelta(hours=5), 1, only_if_new=True)
    assert schedule.due(NOW + timedelta(hours=1)) == [DueUpdate(A, NOW + timedelta(hours=1), 2)]
    assert schedule.set_due(A, NOW + timedelta(hours=3), 3)
    assert schedule.due(NOW + timedelta(hours=2)) == []


def test_a_deadline_is_taken_once_and_not_after_it_moved(schedule: Any) -> None:
    schedule.set_due(A, NOW, 1)
    [due] = schedule.due(NOW)
    assert schedule.take(due)
    assert not schedule.take(due)
    assert schedule.due(NOW + timedelta(days=1)) == []
    schedule.set_due(A, NOW, 1)
    [read] = schedule.due(NOW)
    schedule.set_due(A, NOW + timedelta(hours=1), 2)  # an update posted meanwhile
    assert not schedule.take(read)
    assert schedule.due(NOW + timedelta(hours=1)) == [DueUpdate(A, NOW + timedelta(hours=1), 2)]


def test_the_deadline_lives_beside_the_incident_not_in_its_escalation(schedule: Any) -> None:
    if isinstance(schedule, MemoryUpdateSchedule):
        return
    incidents = DynamoIncidentStore(schedule._client, "incidents")
    schedule.set_due(A, NOW, 1)
    assert incidents.due(NOW + timedelta(days=1)) == []  # the escalation tick sees nothing
