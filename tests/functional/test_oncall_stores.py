"""On-call overrides and responder passes, fake and DynamoDB alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import NotFound
from chalicelib.core.messaging.passes import ResponderPass, ResponderRegistry, issue_pass
from chalicelib.core.oncall.coverage import OverrideStore
from chalicelib.core.oncall.shifts import Override
from fakes import MemoryOverrideStore, MemoryResponderRegistry
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture(params=BACKENDS)
def overrides(request: pytest.FixtureRequest) -> OverrideStore:
    if request.param == "fake":
        return MemoryOverrideStore()
    from chalicelib.storage.overrides import DynamoOverrideStore

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoOverrideStore(client, request.getfixturevalue("settings").config_table)


@pytest.fixture(params=BACKENDS)
def registry(request: pytest.FixtureRequest) -> ResponderRegistry:
    if request.param == "fake":
        return MemoryResponderRegistry()
    from chalicelib.storage.responders import DynamoResponderRegistry

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoResponderRegistry(client, request.getfixturevalue("settings").incidents_table)


def override(override_id: str, start: datetime, hours: float, **extra: str) -> Override:
    return Override(
        override_id, "it-duty", "c-dina", start, start + timedelta(hours=hours), **extra
    )


def test_an_override_is_found_by_the_instants_it_overlaps(overrides: OverrideStore) -> None:
    morning = override("ovr_1", NOW, 6, covers="c-chen", created_by="c-ada")
    overrides.add(morning)
    overrides.add(override("ovr_2", NOW + timedelta(days=2), 24))
    assert overrides.overrides("it-duty", NOW, NOW + timedelta(minutes=1)) == [morning]
    assert overrides.overrides("it-duty", NOW + timedelta(hours=6), NOW + timedelta(days=1)) == []
    week = overrides.overrides("it-duty", NOW - timedelta(days=1), NOW + timedelta(days=7))
    assert [o.override_id for o in week] == ["ovr_1", "ovr_2"]  # by start
    assert overrides.overrides("other-schedule", NOW, NOW + timedelta(days=7)) == []


def test_overrides_come_back_in_utc_and_a_long_one_is_still_found(
    overrides: OverrideStore,
) -> None:
    local = override("ovr_1", datetime(2026, 11, 30, 8, 0, tzinfo=OSLO), 24 * 30)
    overrides.add(local)
    [found] = overrides.overrides("it-duty", NOW + timedelta(days=29), NOW + timedelta(days=29))
    assert found == local and found.start.tzinfo == UTC
    assert found.start.isoformat() == "2026-11-30T07:00:00+00:00"


def test_removing_an_override_returns_it_and_only_once(overrides: OverrideStore) -> None:
    overrides.add(override("ovr_1", NOW, 6))
    removed = overrides.delete("it-duty", "ovr_1", NOW + timedelta(days=10))
    assert removed.override_id == "ovr_1"
    assert overrides.overrides("it-duty", NOW, NOW + timedelta(days=1)) == []
    with pytest.raises(NotFound):
        overrides.delete("it-duty", "ovr_1", NOW)


def passes(incident_id: str, *contacts: str) -> list[ResponderPass]:
    return [issue_pass(b"secret", incident_id, contact, NOW) for contact in contacts]


def test_a_pass_is_found_by_incident_and_person_and_by_its_token(
    registry: ResponderRegistry,
) -> None:
    fay, chen = passes("inc_01A", "c-fay", "c-chen")
    registry.register([fay, chen])
    assert registry.find("inc_01A", "c-fay") == fay
    assert registry.by_token(chen.token) == chen
    assert registry.find("inc_01A", "c-bo") is None
    assert registry.by_token("aaaaaaaaaaaaaaaa") is None
    registry.register([fay])  # a retried dispatch registers the same pass again
    assert registry.for_contact("c-fay") == [fay]


def test_a_person_passes_come_newest_incident_first(registry: ResponderRegistry) -> None:
    registry.register(passes("inc_01A", "c-fay"))
    registry.register(passes("inc_01C", "c-fay", "c-chen"))
    registry.register(passes("inc_01B", "c-fay"))
    assert [p.incident_id for p in registry.for_contact("c-fay")] == [
        "inc_01C",
        "inc_01B",
        "inc_01A",
    ]
    assert registry.for_contact("c-nobody") == []


def test_many_passes_at_once(registry: ResponderRegistry) -> None:
    crowd = passes("inc_01A", *(f"c-{n:03d}" for n in range(30)))
    registry.register(crowd)
    assert all(registry.find("inc_01A", p.contact_id) == p for p in crowd)
