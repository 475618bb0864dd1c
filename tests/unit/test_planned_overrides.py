"""Overrides a schedule declares in the playbook, and windows that last a whole day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.oncall.shifts import Override, coverage, on_call
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.playbook.hours import parse_active_hours
from chalicelib.core.playbook.rotations import parse_oncall

CPH = ZoneInfo("Europe/Copenhagen")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CPH)


def duty(overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "duty",
        "timezone": "Europe/Copenhagen",
        "layers": [
            {
                "id": "weekly",
                "rotation": "week",
                "start": "2026-11-30",
                "handoff": "09:00",
                "members": ["c-ada", "c-bo"],
            }
        ],
    }
    if overrides is not None:
        document["overrides"] = overrides
    return document


def test_a_declared_override_puts_its_contact_on_call_and_coverage_names_it() -> None:
    schedule = parse_oncall(
        duty(
            [
                {"contact": "c-chen", "from": "2026-12-02T09:00", "to": "2026-12-03T09:00"},
                {
                    "id": "swap",
                    "contact": "c-dina",
                    "from": "2026-12-08T08:00:00Z",
                    "to": "2026-12-08T12:00:00Z",
                    "covers": "c-bo",
                },
            ]
        ),
        "oncall[0]",
    )
    first, second = schedule.overrides
    # Read in the schedule's time zone without an offset; with an offset, as written.
    assert first.start == local(2026, 12, 2, 9, 0) and first.override_id == "playbook-1"
    assert second.start == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert second.created_by == "playbook" and second.schedule_id == "duty"
    assert on_call(schedule, [], local(2026, 12, 2, 12, 0)) == ("c-chen", "override playbook-1")
    assert on_call(schedule, [], local(2026, 12, 3, 9, 0)) == ("c-ada", "layer weekly")
    # 'covers' c-bo: only while c-bo would be on call (the second week is c-bo's).
    assert on_call(schedule, [], local(2026, 12, 8, 10, 0)) == ("c-dina", "override swap")
    shifts = coverage(schedule, [], local(2026, 12, 2, 0, 0), local(2026, 12, 4, 0, 0))
    assert [(s.start, s.contact_id, s.source) for s in shifts] == [
        (local(2026, 12, 2, 0, 0), "c-ada", "layer weekly"),
        (local(2026, 12, 2, 9, 0), "c-chen", "override playbook-1"),
        (local(2026, 12, 3, 9, 0), "c-ada", "layer weekly"),
    ]


def test_an_override_entered_later_wins_over_a_declared_one_it_overlaps() -> None:
    schedule = parse_oncall(
        duty([{"contact": "c-chen", "from": "2026-12-02T09:00", "to": "2026-12-03T09:00"}]),
        "oncall[0]",
    )
    entered = Override(
        "ovr_1", "duty", "c-fay", local(2026, 12, 2, 12, 0), local(2026, 12, 2, 14, 0)
    )
    assert on_call(schedule, [entered], local(2026, 12, 2, 13, 0)) == ("c-fay", "override ovr_1")
    assert on_call(schedule, [entered], local(2026, 12, 2, 15, 0))[0] == "c-chen"


@pytest.mark.parametrize(
    ("override", "path", "message"),
    [
        ({"contact": "c-chen", "from": "2026-12-02T09:00"}, "overrides[0].to", "is required"),
        (
            {"contact": "c-chen", "from": "2026-12-03T09:00", "to": "2026-12-02T09:00"},
            "overrides[0].to",
            "must be after 'from'",
        ),
        (
            {"contact": "c-chen", "from": "soon", "to": "2026-12-02T09:00"},
            "overrides[0].from",
            "must be a date-time",
        ),
        (
            {"contact": "C Chen", "from": "2026-12-02T09:00", "to": "2026-12-03T09:00"},
            "overrides[0].contact",
            "is not an id",
        ),
        (
            {
                "contact": "c-chen",
                "from": "2026-12-02T09:00",
                "to": "2026-12-03T09:00",
                "covers": "c-fay",
            },
            "overrides[0].covers",
            "c-fay is not a member of any layer",
        ),
        (
            {"contact": "c-chen", "from": "2026-12-02T09:00", "to": "2026-12-03T09:00", "x": 1},
            "overrides[0].x",
            "unknown field",
        ),
    ],
)
def test_a_declared_override_that_is_wrong_is_refused_at_its_path(
    override: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        parse_oncall(duty([override]), "oncall[0]")
    errors = refused.value.errors if isinstance(refused.value, InvalidPolicies) else [refused.value]
    assert [(e.path, message in e.message) for e in errors] == [(f"oncall[0].{path}", True)]


def test_every_wrong_override_is_reported_at_once_and_ids_must_be_unique() -> None:
    good = {"id": "a", "contact": "c-chen", "from": "2026-12-02T09:00", "to": "2026-12-03T09:00"}
    with pytest.raises(InvalidPolicies) as refused:
        parse_playbook(
            {
                "roles": [],
                "oncall": [duty([good, {**good}, {"contact": "c-chen", "from": "x", "to": "y"}])],
            }
        )
    found = {(e.path, e.message) for e in refused.value.errors}
    assert ("oncall[0].overrides", "two overrides have the id 'a'") in found
    assert any(path == "oncall[0].overrides[2].from" for path, _ in found)


def test_a_window_whose_end_equals_its_start_lasts_the_whole_day() -> None:
    weekend = parse_active_hours(
        {
            "timezone": "Europe/Copenhagen",
            "windows": [{"days": ["weekend"], "from": "00:00", "to": "00:00"}],
        },
        "active",
    )
    assert weekend.contains(local(2026, 12, 5, 0, 0))  # Saturday midnight
    assert weekend.contains(local(2026, 12, 6, 23, 59))  # Sunday, late
    assert not weekend.contains(local(2026, 12, 7, 0, 0))  # Monday
    assert not weekend.contains(local(2026, 12, 4, 23, 59))  # Friday
    # From 18:00 to 18:00: the 24 hours from Friday evening.
    friday = parse_active_hours(
        {
            "timezone": "Europe/Copenhagen",
            "windows": [{"days": ["fri"], "from": "18:00", "to": "18:00"}],
        },
        "active",
    )
    assert friday.contains(local(2026, 12, 5, 17, 59))
    assert not friday.contains(local(2026, 12, 5, 18, 0))
    assert not friday.contains(local(2026, 12, 4, 17, 59))


def test_a_layer_with_whole_day_hours_hands_over_at_the_edges_of_the_day() -> None:
    document = duty()
    document["layers"][0]["hours"] = [{"days": ["sat"], "from": "00:00", "to": "00:00"}]
    schedule = parse_oncall(document, "oncall[0]")
    shifts = coverage(schedule, [], local(2026, 12, 4, 12, 0), local(2026, 12, 7, 12, 0))
    assert [(s.start, s.contact_id) for s in shifts] == [
        (local(2026, 12, 4, 12, 0), None),
        (local(2026, 12, 5, 0, 0), "c-ada"),
        (local(2026, 12, 6, 0, 0), None),
    ]
