"""The check-in store's contract, run against the DynamoDB adapter under moto and against the
in-memory fake the unit tests and the benchmark use, so the fake cannot drift."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.checkins.values import (
    AnsweredBy,
    AudienceMember,
    Checkin,
    CheckinAnswer,
    CheckinStatus,
)
from chalicelib.core.model import Channel
from chalicelib.core.playbook.checkin_request import Audience, CheckinOption, Reminders
from chalicelib.storage.checkins import AUDIENCE_CHUNK, DynamoCheckinStore
from fakes.checkins import MemoryCheckinStore
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
CHECKIN = Checkin(
    checkin_id="chk_01M8T7NT80QM196GH8J7KDQXAP",
    question={"en": "Are you safe?", "da": "Er du i sikkerhed?"},
    options=(
        CheckinOption(1, {"en": "I am safe"}),
        CheckinOption(2, {"en": "I need help"}, needs_help=True),
    ),
    audience=Audience(teams=("site-oslo",)),
    channels=(Channel.SMS, Channel.EMAIL),
    chain=True,
    deadline=NOW + timedelta(hours=1),
    reminders=Reminders(timedelta(minutes=10), 2, then_lead=True),
    responders="@role:hr",
    exercise=True,
    created_at=NOW,
    created_by="c-ada",
    next_reminder_at=NOW + timedelta(minutes=10),
    asked=3,
    unreachable=("c-emil",),
)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return MemoryCheckinStore()
    tables = request.getfixturevalue("tables")
    settings = request.getfixturevalue("settings")
    return DynamoCheckinStore(tables.client("dynamodb"), settings.incidents_table)


def answer(contact_id: str, option: int, minutes: int, answer_id: str) -> CheckinAnswer:
    return CheckinAnswer(
        answer_id, contact_id, option, NOW + timedelta(minutes=minutes), AnsweredBy.SMS
    )


def test_a_checkin_and_its_audience_come_back_as_stored(store: Any) -> None:
    members = [
        AudienceMember(f"c-{n:05d}", ("site-oslo",), ("hr",), ("building-a",) if n % 2 else ())
        for n in range(AUDIENCE_CHUNK + 5)
    ]
    store.create(CHECKIN, members)
    assert store.get(CHECKIN.checkin_id) == CHECKIN
    assert store.audience(CHECKIN.checkin_id) == members  # across chunks, in order
    assert store.get("chk_nope") is None
    assert store.open_ids() == [CHECKIN.checkin_id]


def test_the_latest_answer_counts_and_every_answer_is_kept(store: Any) -> None:
    store.create(CHECKIN, [AudienceMember("c-chen"), AudienceMember("c-dina")])
    assert store.record(CHECKIN.checkin_id, answer("c-chen", 2, 1, "a1")) is None
    previous = store.record(CHECKIN.checkin_id, answer("c-chen", 1, 5, "a2"))
    assert previous is not None and previous.option == 2
    late_arrival = store.record(CHECKIN.checkin_id, answer("c-chen", 2, 3, "a3"))  # older
    assert late_arrival is not None and late_arrival.option == 1  # the later one still counts
    store.record(CHECKIN.checkin_id, replace(answer("c-dina", 2, 2, "a4"), help_incident="inc_x"))
    latest = store.latest(CHECKIN.checkin_id)
    assert {c: a.option for c, a in latest.items()} == {"c-chen": 1, "c-dina": 2}
    assert latest["c-dina"].help_incident == "inc_x"
    assert store.latest_of(CHECKIN.checkin_id, ["c-dina"]) == {"c-dina": latest["c-dina"]}
    assert store.latest_of(CHECKIN.checkin_id, ["c-bo", "c-chen"]) == {"c-chen": latest["c-chen"]}
    assert [a.answer_id for a in store.answers(CHECKIN.checkin_id)] == ["a1", "a4", "a3", "a2"]


def test_saving_needs_the_version_read_and_closing_leaves_the_open_list(store: Any) -> None:
    store.create(CHECKIN, [AudienceMember("c-chen")])
    reminded = replace(CHECKIN, reminded=1, version=1)
    assert store.save(reminded, 0) is True
    assert store.save(replace(CHECKIN, reminded=1, version=1), 0) is False  # lost the race
    closed = replace(reminded, status=CheckinStatus.CLOSED, next_reminder_at=None, version=2)
    assert store.save(closed, 1) is True
    assert store.get(CHECKIN.checkin_id) == closed
    assert store.open_ids() == []
