"""Who holds the pager (OnCall, the use case behind the API and the CLI), on the fakes:
coverage by layer, overrides added and removed, and requests refused field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import InvalidRequest, NotFound
from fakes import MemoryWorld

MONDAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 07:00 in Copenhagen


@pytest.fixture
def monday() -> MemoryWorld:
    return MemoryWorld.example(MONDAY)


def test_coverage_shows_the_layers_and_who_is_on_call_now(monday: MemoryWorld) -> None:
    week = monday.oncall.coverage("it-duty")
    assert (week.start, week.end) == (MONDAY, MONDAY + timedelta(days=7))
    assert week.gaps == () and week.unknown_members == ()
    assert week.now == ("c-chen", "layer round-the-clock")
    assert {shift.source for shift in week.shifts} == {
        "layer office-hours",
        "layer round-the-clock",
    }


def test_an_override_takes_the_pager_until_it_is_removed(monday: MemoryWorld) -> None:
    override = monday.oncall.add_override(
        "it-duty", "c-dina", MONDAY, MONDAY + timedelta(hours=6), None, created_by="c-ada"
    )
    assert override.override_id.startswith("ovr_") and override.created_by == "c-ada"
    assert monday.oncall.coverage("it-duty").now == ("c-dina", f"override {override.override_id}")
    monday.oncall.remove_override("it-duty", override.override_id)
    assert monday.oncall.coverage("it-duty").now[0] == "c-chen"
    with pytest.raises(NotFound):
        monday.oncall.remove_override("it-duty", override.override_id)


@pytest.mark.parametrize(
    ("contact", "start", "hours", "covers", "field"),
    [
        ("c-nobody", 24, 24, None, "contact_id"),
        ("c-dina", 24, -1, None, "end"),
        ("c-dina", 24, 24 * 32, None, "end"),
        ("c-dina", -48, 24, None, "end"),  # over before it is entered
        ("c-dina", 24, 24, "c-bo", "covers"),
    ],
)
def test_an_override_that_cannot_be_is_refused_naming_the_field(
    monday: MemoryWorld, contact: str, start: int, hours: int, covers: str | None, field: str
) -> None:
    begins = MONDAY + timedelta(hours=start)
    with pytest.raises(InvalidRequest) as refused:
        monday.oncall.add_override(
            "it-duty", contact, begins, begins + timedelta(hours=hours), covers, "c-ada"
        )
    assert refused.value.field == field
    assert monday.oncall.coverage("it-duty").now[0] == "c-chen"


def test_a_schedule_that_does_not_exist_and_a_range_that_cannot_be(monday: MemoryWorld) -> None:
    with pytest.raises(NotFound):
        monday.oncall.coverage("no-such-rota")
    with pytest.raises(InvalidRequest, match="at most 92 days"):
        monday.oncall.coverage("it-duty", MONDAY, MONDAY + timedelta(days=100))
    with pytest.raises(InvalidRequest, match="must be after from"):
        monday.oncall.coverage("it-duty", MONDAY, MONDAY)


def test_members_the_directory_does_not_know_are_named(monday: MemoryWorld) -> None:
    chen = monday.directory.get_contacts(["c-chen"])["c-chen"]
    monday.directory.delete(chen)
    assert monday.oncall.coverage("it-duty").unknown_members == ("c-chen",)
