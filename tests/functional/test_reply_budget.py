"""The hourly budget of answers texted back to a number, fake and DynamoDB alike (the contract
that ends reply loops with auto-responders)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core.response.ports import ReplyBudget
from chalicelib.settings import Settings
from fakes import MemoryReplyBudget
from tests.functional.conftest import BACKENDS

HOUR = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
FAY, CHEN = "+12025550105", "+12025550103"


@pytest.fixture(params=BACKENDS)
def budget(request: pytest.FixtureRequest) -> ReplyBudget:
    if request.param == "fake":
        return MemoryReplyBudget()
    from chalicelib.storage.guards import DynamoReplyBudget

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoReplyBudget(client, request.getfixturevalue("settings").incidents_table)


def test_a_number_gets_its_limit_of_answers_in_an_hour_then_none(budget: ReplyBudget) -> None:
    assert [budget.spend(FAY, HOUR, 3) for _ in range(5)] == [True, True, True, False, False]


def test_the_hours_first_help_is_answered_past_the_limit_and_only_the_first(
    budget: ReplyBudget,
) -> None:
    for _ in range(3):
        assert budget.spend(FAY, HOUR, 3)
    assert budget.spend(FAY, HOUR, 3, first_help=True)
    assert not budget.spend(FAY, HOUR, 3, first_help=True)
    assert not budget.spend(FAY, HOUR, 3)


def test_a_help_within_the_limit_still_uses_up_the_hours_first_help(budget: ReplyBudget) -> None:
    assert budget.spend(FAY, HOUR, 3, first_help=True)
    assert budget.spend(FAY, HOUR, 3)
    assert budget.spend(FAY, HOUR, 3)
    assert not budget.spend(FAY, HOUR, 3, first_help=True)


def test_each_number_and_each_hour_has_its_own_budget(budget: ReplyBudget) -> None:
    for _ in range(3):
        budget.spend(FAY, HOUR, 3)
    assert not budget.spend(FAY, HOUR, 3)
    assert budget.spend(CHEN, HOUR, 3)
    assert budget.spend(FAY, HOUR + timedelta(hours=1), 3)


def test_the_number_is_not_stored_and_the_count_expires(
    tables: boto3.Session, settings: Settings
) -> None:
    from chalicelib.storage.guards import DynamoReplyBudget

    client = tables.client("dynamodb")
    DynamoReplyBudget(client, settings.incidents_table).spend(FAY, HOUR, 3)
    [item] = client.scan(TableName=settings.incidents_table)["Items"]
    assert FAY not in str(item) and FAY.lstrip("+") not in str(item)
    assert int(item["expires_at"]["N"]) == int((HOUR + timedelta(hours=2)).timestamp())
