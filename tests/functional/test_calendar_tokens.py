"""Calendar links in DynamoDB: one working link per person, even when two are issued at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core.errors import Conflict
from chalicelib.core.oncall.calendar import CalendarToken
from chalicelib.settings import Settings
from chalicelib.storage.calendars import DynamoCalendarTokens

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class StaleReader(DynamoCalendarTokens):
    """Reads the person's current link as it was before another issue landed: the race of two
    `tocsin oncall calendar` runs at once, played in order."""

    def __init__(self, client: object, table: str, stale: str | None) -> None:
        super().__init__(client, table)
        self._stale = stale

    def _current(self, contact_id: str) -> str | None:
        return self._stale


def token(digest: str, contact: str = "c-ada") -> CalendarToken:
    return CalendarToken(digest, contact, NOW, NOW + timedelta(days=365))


@pytest.fixture
def client(world: boto3.Session) -> object:
    return world.client("dynamodb")


def test_issuing_revokes_the_previous_link_and_revoking_stops_the_current(
    client: object, settings: Settings
) -> None:
    tokens = DynamoCalendarTokens(client, settings.config_table)
    tokens.issue(token("a" * 64))
    tokens.issue(
        CalendarToken("b" * 64, "c-ada", NOW + timedelta(hours=1), NOW + timedelta(days=9))
    )
    first, second = tokens.find("a" * 64), tokens.find("b" * 64)
    assert first is not None and first.revoked_at == NOW + timedelta(hours=1)
    assert second is not None and second.is_usable(NOW + timedelta(hours=2))
    assert tokens.revoke("c-ada", NOW + timedelta(hours=3))
    stopped = tokens.find("b" * 64)
    assert stopped is not None and not stopped.is_usable(NOW + timedelta(hours=4))
    assert not tokens.revoke("c-ada", NOW + timedelta(hours=5))  # nothing left to revoke
    assert tokens.find("c" * 64) is None


def test_two_links_issued_at_once_never_both_work(client: object, settings: Settings) -> None:
    DynamoCalendarTokens(client, settings.config_table).issue(token("a" * 64))
    # The second run read "no link yet" before the first wrote: its write must fail.
    late = StaleReader(client, settings.config_table, stale=None)
    with pytest.raises(Conflict, match="at the same time"):
        late.issue(token("b" * 64))
    assert late.find("b" * 64) is None  # nothing of it was written
    # Likewise one that read a link since replaced.
    DynamoCalendarTokens(client, settings.config_table).issue(token("c" * 64))
    with pytest.raises(Conflict):
        StaleReader(client, settings.config_table, stale="a" * 64).issue(token("d" * 64))
    current = DynamoCalendarTokens(client, settings.config_table).find("c" * 64)
    assert current is not None and current.revoked_at is None
