"""The drop-in stores: one contract suite runs against the in-memory fakes the unit tests use
and the DynamoDB adapters under moto, so the fakes cannot drift; then what only DynamoDB does
(expiry). Heartbeat pings are issue #24's store (tests/functional/test_watch_stores.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core.dropin.alerts import ALERT_RETENTION, REQUEST_RETENTION
from chalicelib.core.dropin.changes import CHANGE_RETENTION
from chalicelib.core.dropin.ports import (
    Alert,
    AlertNote,
    AlertRequest,
    AlertStatus,
    AlertStore,
    ChangeEvent,
    ChangeStore,
)
from chalicelib.core.model import Link
from chalicelib.settings import Settings
from chalicelib.storage import keys
from chalicelib.storage.changes import DynamoChangeStore
from chalicelib.storage.opsgenie_alerts import DynamoAlertStore, DynamoRequestLog
from fakes import MemoryAlertStore, MemoryChangeStore

NOW = datetime(2026, 11, 23, 3, 0, 0, 123456, tzinfo=UTC)
SENDER = "source:airflow#with a hash"


def alert(
    alert_id: str = "a-1", alias: str = "db-1/disk", at: datetime = NOW, **more: Any
) -> Alert:
    return Alert(
        alert_id=alert_id, tiny_id=more.pop("tiny_id", "1"), sender=more.pop("sender", SENDER),
        alias=alias, dedup_key=f"opsgenie:{alias}", event_type="it.alert", message="Disk full",
        priority="P1", created_at=at, updated_at=at, **more,
    )  # fmt: skip


@pytest.fixture(params=["memory", "dynamodb"])
def alerts(request: pytest.FixtureRequest, world: boto3.Session, settings: Settings) -> AlertStore:
    if request.param == "memory":
        return MemoryAlertStore()
    return DynamoAlertStore(world.client("dynamodb"), settings.incidents_table)


@pytest.fixture(params=["memory", "dynamodb"])
def changes(
    request: pytest.FixtureRequest, world: boto3.Session, settings: Settings
) -> ChangeStore:
    if request.param == "memory":
        return MemoryChangeStore()
    return DynamoChangeStore(world.client("dynamodb"), settings.incidents_table)


def test_an_alert_comes_back_whole_by_id_tiny_id_and_alias(alerts: AlertStore) -> None:
    full = alert(
        tiny_id=alerts.next_tiny_id(), description="d", entity="e", source="s",
        tags=("a", "b"), details={"k": "v"}, responders=({"type": "team", "name": "NOC"},),
        actions=("Restart",), notes=(AlertNote(NOW, "n", "Jesse", None),),
        acknowledged=True, acknowledged_at=NOW, acknowledged_by="Jesse",
        status=AlertStatus.CLOSED, closed_at=NOW, closed_by="Jesse",
        last_occurred_at=NOW, event_ids=("evt_1",), count=3,
    )  # fmt: skip
    assert alerts.add(full, None)
    assert alerts.get("a-1") == alerts.by_tiny_id(full.tiny_id) == full
    assert alerts.latest_by_alias(SENDER, "db-1/disk") == full
    assert alerts.latest_by_alias("source:airflow", "with a hash#db-1/disk") is None
    assert alerts.get("a-2") is None and alerts.by_tiny_id("999") is None


def test_an_alias_names_one_alert_at_a_time(alerts: AlertStore) -> None:
    assert alerts.add(alert("a-1", tiny_id="1"), None)
    assert not alerts.add(alert("a-2", tiny_id="2"), None)  # someone opened it first
    assert not alerts.add(alert("a-2", tiny_id="2"), "a-9")  # not the one read
    assert alerts.add(alert("a-2", tiny_id="2"), "a-1")  # replaces the one read
    latest = alerts.latest_by_alias(SENDER, "db-1/disk")
    assert latest is not None and latest.alert_id == "a-2"
    assert alerts.get("a-1") is not None  # the old alert stays, by id


def test_saving_is_conditional_on_the_version_read(alerts: AlertStore) -> None:
    alerts.add(alert(), None)
    read = alerts.get("a-1")
    assert read is not None and read.version == 0
    assert alerts.save(replace(read, count=2), read.version)
    assert not alerts.save(replace(read, count=5), read.version)  # stale
    saved = alerts.get("a-1")
    assert saved is not None and (saved.count, saved.version) == (2, 1)


def test_tiny_ids_are_never_given_twice(alerts: AlertStore) -> None:
    given = [alerts.next_tiny_id() for _ in range(5)]
    assert len(set(given)) == 5 and all(tiny.isdigit() for tiny in given)


def test_alerts_are_listed_by_creation_in_a_half_open_range(alerts: AlertStore) -> None:
    for minute in range(4):
        at = NOW + timedelta(minutes=minute)
        alerts.add(alert(f"a-{minute}", f"x{minute}", at, tiny_id=str(minute)), None)
    alerts.add(alert("other", "x9", NOW, tiny_id="9", sender="key:other"), None)
    start, end = NOW + timedelta(minutes=1), NOW + timedelta(minutes=3)
    forward = [a.alert_id for a in alerts.created_between(SENDER, start, end, False)]
    assert forward == ["a-1", "a-2"]
    newest = [a.alert_id for a in alerts.created_between(SENDER, None, None, True)]
    assert newest == ["a-3", "a-2", "a-1", "a-0"]


def test_change_stores_keep_senders_incidents_and_changes(changes: ChangeStore) -> None:
    changes.remember(SENDER, "k1", NOW)
    assert (changes.sender_of("k1"), changes.sender_of("k2")) == (SENDER, None)
    changes.add_incident(SENDER, "inc_1", NOW)
    changes.add_incident(SENDER, "inc_2", NOW)
    changes.add_incident(SENDER, "inc_1", NOW)
    assert sorted(changes.incidents(SENDER)) == ["inc_1", "inc_2"]
    changes.forget_incident(SENDER, "inc_1")
    assert changes.incidents(SENDER) == ["inc_2"]
    full = ChangeEvent(
        "c1", SENDER, "Deployed 2.3", NOW, NOW - timedelta(minutes=1), "deploy-bot",
        {"commit": "4f2a9c1", "n": 3}, (Link("https://ci.example.com/220", "Build"),),
    )  # fmt: skip
    changes.record(full)
    changes.record(ChangeEvent("c2", SENDER, "Rolled back", NOW + timedelta(minutes=5)))
    changes.record(ChangeEvent("c3", "key:other", "Not mine", NOW))
    assert changes.changes(SENDER, NOW, NOW + timedelta(minutes=5)) == [full]
    assert [c.change_id for c in changes.changes(SENDER, NOW, NOW + timedelta(hours=1))] == [
        "c1",
        "c2",
    ]


def test_what_dynamodb_keeps_expires(world: boto3.Session, settings: Settings) -> None:
    client = world.client("dynamodb")
    table = settings.incidents_table
    DynamoAlertStore(client, table).add(alert(), None)
    DynamoRequestLog(client, table).record(
        AlertRequest("r-1", SENDER, "Create", NOW, "a-1", "db-1/disk", "Created alert")
    )
    DynamoChangeStore(client, table).record(ChangeEvent("c1", SENDER, "Deployed", NOW))

    def expires(key: dict[str, str]) -> datetime:
        item = client.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()})
        return datetime.fromtimestamp(int(item["Item"]["expires_at"]["N"]), UTC)

    sortable = keys.sortable_time(NOW)
    assert expires(keys.alert(SENDER, sortable, "a-1")) == (NOW + ALERT_RETENTION).replace(
        microsecond=0
    )
    assert expires(keys.alert_request("r-1")) == (NOW + REQUEST_RETENTION).replace(microsecond=0)
    assert expires(keys.change(SENDER, sortable, "c1")) == (NOW + CHANGE_RETENTION).replace(
        microsecond=0
    )
    logged = DynamoRequestLog(client, table).get("r-1")
    assert logged == AlertRequest("r-1", SENDER, "Create", NOW, "a-1", "db-1/disk", "Created alert")
