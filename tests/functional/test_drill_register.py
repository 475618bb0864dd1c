"""One contract for the drill register, run against the DynamoDB adapter (under moto) and the
in-memory fake: drills kept whole, one active drill per plan (the slot), newest first a page
at a time, surprises found once due; and erasure takes a person out of a stored roster."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.drills.kinds import Drill, DrillState
from chalicelib.core.ids import new_ulid
from chalicelib.core.playbook.drill_request import AckTarget, DrillKind, SurpriseWindow
from chalicelib.core.privacy.scrubbing import Person, Scrubber
from chalicelib.storage.codec import from_item, to_item
from chalicelib.storage.drills import DynamoDrillRegister
from chalicelib.storage.erasure_items import scrub_item
from chalicelib.storage.tables import INCIDENTS
from fakes import MemoryDrillRegister

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
WINDOW = SurpriseWindow(
    frozenset({0, 3}), time(2), time(5), "Europe/Copenhagen", NOW + timedelta(days=30)
)


def a_drill(minutes: int = 0, **fields: Any) -> Drill:
    at = NOW + timedelta(minutes=minutes)
    values: dict[str, Any] = {
        "drill_id": f"drl_{new_ulid(at)}",
        "plan_id": "crisis-cell",
        "kind": DrillKind.SIMULATION,
        "state": DrillState.RUNNING,
        "created_at": at,
        "created_by": "c-ada",
        "roster": ("c-ada", "c-bo"),
        "targets": (AckTarget("executive", 0.9, 900), AckTarget(None, 0.5, 3600)),
        "expires_at": at + timedelta(days=365),
    }
    return Drill(**(values | fields))


@pytest.fixture(params=["memory", "dynamodb"])
def register(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryDrillRegister()
        return
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        yield DynamoDrillRegister(client, "incidents")


def test_a_drill_is_kept_whole(register: Any) -> None:
    drill = a_drill(kind=DrillKind.SURPRISE, state=DrillState.SCHEDULED, window=WINDOW,
                    fire_at=NOW + timedelta(days=2, minutes=7))  # fmt: skip
    assert register.begin(drill, None)
    assert register.get(drill.drill_id) == drill
    assert register.get("drl_01M8TBCTV0FSB6B6FSVJPGZ06W") is None


def test_one_active_drill_per_plan(register: Any) -> None:
    first, second = a_drill(), a_drill(1)
    assert register.begin(first, None)
    assert register.holder("crisis-cell") == first.drill_id
    assert not register.begin(second, None)
    assert register.get(second.drill_id) is None  # nothing stored
    assert not register.begin(second, "drl_someone-else")
    register.save(replace(first, state=DrillState.FINISHED))
    assert register.holder("crisis-cell") is None
    assert register.begin(second, None)
    # A tabletop takes no slot; the slot of a drill the caller saw finished may be replaced.
    assert register.begin(a_drill(2, kind=DrillKind.TABLETOP, state=DrillState.FINISHED), None)
    assert register.begin(a_drill(3), second.drill_id)


def test_the_register_pages_newest_first(register: Any) -> None:
    drills = [a_drill(n, state=DrillState.FINISHED) for n in range(5)]
    for drill in drills:
        register.begin(drill, None)
    first = register.page(2, None)
    assert [d.drill_id for d in first.items] == [drills[4].drill_id, drills[3].drill_id]
    second = register.page(2, first.next)
    assert [d.drill_id for d in second.items] == [drills[2].drill_id, drills[1].drill_id]
    last = register.page(2, second.next)
    assert [d.drill_id for d in last.items] == [drills[0].drill_id] and last.next is None


def test_surprises_are_due_once_their_moment_came(register: Any) -> None:
    moment = NOW + timedelta(hours=5)
    drill = a_drill(
        kind=DrillKind.SURPRISE, state=DrillState.SCHEDULED, window=WINDOW, fire_at=moment
    )
    register.begin(drill, None)
    assert register.due(moment - timedelta(seconds=1)) == []
    assert register.due(moment) == [drill]
    register.save(replace(drill, state=DrillState.RUNNING))
    assert register.due(moment + timedelta(days=1)) == []


def test_every_record_expires_with_the_drill_and_erasure_takes_the_person_out() -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        register = DynamoDrillRegister(client, "incidents")
        drill = a_drill()
        register.begin(drill, None)
        items = [from_item(each) for each in client.scan(TableName="incidents")["Items"]]
        assert {each["sk"].split("#")[0] for each in items} == {"DRILL", "SLOT"}
        assert all(int(each["expires_at"]) == int(drill.expires_at.timestamp()) for each in items)
        item = next(each for each in items if each["sk"].startswith("DRILL#"))
        person = Person("c-bo", "+12025550102", "bo@example.com")
        cleaned = scrub_item(item, Scrubber(person, "erased-1"))
        assert cleaned["roster"] == ["c-ada"]
        assert scrub_item(item, Scrubber(Person("c-ada"), "erased-2"))["created_by"] == "erased-2"
        client.put_item(TableName="incidents", Item=to_item(cleaned))
        assert register.get(drill.drill_id).roster == ("c-ada",)
