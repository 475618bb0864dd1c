"""Drills the playbook repeats (``policies/drills.yaml``): validated whole against the plans,
roles and teams; each firing starts its drill once; surprises' windows are edge-checked."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.core.drills.kinds import DrillState
from chalicelib.core.drills.surprise import candidate_minutes, is_inside
from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.playbook.drill_request import DrillKind, SurpriseWindow
from chalicelib.core.playbook.drill_schedules import parse_scheduled_drill
from fakes import MemoryWorld

PLANS = {"crisis-cell"}
ROLES = {"executive": "Executive"}
WEEKLY: dict[str, Any] = {
    "id": "weekly",
    "every": "week",
    "day": "monday",
    "at": "08:00",
    "timezone": "Europe/Copenhagen",
    "drill": {"plan": "crisis-cell", "kind": "tabletop", "roster": ["role:executive"]},
}


def parse(**changes: Any) -> Any:
    return parse_scheduled_drill(WEEKLY | changes, "drills[0]", PLANS, ROLES, {})


def test_the_example_playbook_repeats_a_tabletop_every_monday(org: MemoryWorld) -> None:
    [declared] = org.playbooks.load().drills
    assert declared.drill_id == "weekly-tabletop-crisis-cell"
    assert declared.request_at(org.clock.now()).kind is DrillKind.TABLETOP


@pytest.mark.parametrize(
    ("drill", "path", "message"),
    [
        ({"plan": "nope", "kind": "tabletop", "roster": ["c-ada"]}, "drills[0].drill.plan",
         "unknown plan 'nope'"),
        ({"plan": "crisis-cell", "kind": "drill", "roster": ["c-ada"]}, "drills[0].drill.kind",
         "must be one of"),
        ({"plan": "crisis-cell", "kind": "tabletop", "roster": []}, "drills[0].drill.roster",
         "is empty"),
        ({"plan": "crisis-cell", "kind": "tabletop", "roster": ["role:pilot"]},
         "drills[0].drill.roster[0]", "unknown role 'pilot'"),
        ({"plan": "crisis-cell", "kind": "surprise", "roster": ["c-ada"],
          "window": {"from": "02:00", "to": "03:00", "until": "2030-01-01T00:00Z"}},
         "drills[0].drill.window.until", "takes 'within'"),
    ],
)  # fmt: skip
def test_a_bad_repeated_drill_is_refused_where_it_is(drill: Any, path: str, message: str) -> None:
    with pytest.raises(InvalidPolicy, match=message) as refused:
        parse(drill=drill)
    assert refused.value.path == path


def test_a_weekly_drill_needs_its_day() -> None:
    with pytest.raises(InvalidPolicy, match="needs a day"):
        parse(day="someday")


def test_each_firing_starts_its_drill_once(org: MemoryWorld) -> None:
    org.clock.current = datetime(2026, 12, 7, 6, 59, tzinfo=UTC)  # Monday 07:59 in Copenhagen
    assert org.drills.fire_due().fired == []
    org.clock.advance(minutes=2)
    started = org.drills.fire_due()
    assert len(started.fired) == 1 and started.skipped == []
    assert org.drills.fire_due().fired == []  # the same firing: once
    [drill] = org.drill_register.page(10, None).items
    assert drill.kind is DrillKind.TABLETOP and drill.state is DrillState.FINISHED
    assert drill.created_by == "playbook:weekly-tabletop-crisis-cell"
    assert org.sent() == []


WINDOW = SurpriseWindow(
    frozenset({0}), time(23, 0), time(1, 0), "Europe/Copenhagen",
    datetime(2026, 12, 15, tzinfo=UTC),
)  # fmt: skip


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    monday_late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 23:30 Monday in Copenhagen
    tuesday_early = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 00:30 Tuesday
    tuesday_late = datetime(2026, 12, 8, 22, 30, tzinfo=UTC)  # 23:30 Tuesday
    assert is_inside(WINDOW, monday_late) and is_inside(WINDOW, tuesday_early)
    assert not is_inside(WINDOW, tuesday_late)
    minutes = list(candidate_minutes(WINDOW, datetime(2026, 12, 2, tzinfo=UTC)))
    assert len(minutes) == 240  # two Monday nights (7 and 14 December), 23:00 to 01:00
    assert all(is_inside(WINDOW, at) for at in minutes)
    assert minutes[0] == datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


def test_every_candidate_lies_inside_its_window_across_a_clock_change() -> None:
    window = SurpriseWindow(
        frozenset(range(7)), time(2, 0), time(4, 0), "Europe/Copenhagen",
        datetime(2026, 10, 27, tzinfo=UTC),
    )  # fmt: skip
    minutes = list(candidate_minutes(window, datetime(2026, 10, 23, tzinfo=UTC)))
    assert minutes and all(is_inside(window, at) for at in minutes)
    assert len(set(minutes)) == len(minutes)
    assert all(b - a >= timedelta(minutes=1) for a, b in itertools.pairwise(minutes))
