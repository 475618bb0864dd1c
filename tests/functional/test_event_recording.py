"""A request's events are recorded and counted against its key's rate in one write, fake and
DynamoDB alike: within the rate, all of them recorded and the rate spent; past it, nothing
recorded and nothing counted (the caller is told to retry after the window)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.core.activation.ports import RateCharge
from chalicelib.core.errors import RateLimited
from chalicelib.core.ids import new_event_id
from chalicelib.core.model import ReceivedEvent
from tests.functional.conftest import BACKENDS
from tests.functional.test_incident_store import NOW, Stores, make_stores, received


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest) -> Stores:
    return make_stores(request)


def many(count: int) -> list[ReceivedEvent]:
    return [replace(received(f"k-{n}"), event_id=new_event_id(NOW)) for n in range(count)]


def test_within_the_rate_every_event_is_recorded_and_the_rate_spent(stores: Stores) -> None:
    first, second = many(3), many(2)
    stores.events.record_all(first, RateCharge("prometheus", 5, 3))
    stores.events.record_all(second, RateCharge("prometheus", 5, 2))  # exactly the rest
    assert all(stores.events.get(e.event_id) is not None for e in first + second)
    late = many(1)
    with pytest.raises(RateLimited, match="may send 5 events a minute") as refused:
        stores.events.record_all(late, RateCharge("prometheus", 5, 1))
    assert refused.value.retry_after == 60 - NOW.second
    assert stores.events.get(late[0].event_id) is None  # refused: nothing recorded
    other = many(1)  # another key has its own rate
    stores.events.record_all(other, RateCharge("grafana", 5, 1))
    assert stores.events.get(other[0].event_id) is not None


def test_a_refused_request_records_nothing_and_spends_nothing(stores: Stores) -> None:
    stores.events.record_all(many(3), RateCharge("k", 5, 3))
    too_many = many(3)
    with pytest.raises(RateLimited):
        stores.events.record_all(too_many, RateCharge("k", 5, 3))
    assert [stores.events.get(e.event_id) for e in too_many] == [None] * 3
    fits = many(2)
    stores.events.record_all(fits, RateCharge("k", 5, 2))  # the refused three were not counted
    assert all(stores.events.get(e.event_id) is not None for e in fits)


def test_more_events_than_one_transaction_holds(stores: Stores) -> None:
    crowd = many(150)
    stores.events.record_all(crowd, RateCharge("k", 600, 150))
    assert all(stores.events.get(e.event_id) is not None for e in crowd)
    stores.events.record_all(many(1), None)  # not counted: no charge


def test_on_dynamodb_one_event_and_its_rate_are_one_call(tables: Any, settings: Any) -> None:
    from chalicelib.storage.events import DynamoEventStore

    client = tables.client("dynamodb")
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    store = DynamoEventStore(client, settings.incidents_table)
    store.record_all(many(1), RateCharge("k", 5, 1))
    assert calls == {"TransactWriteItems": 1}
