"""Escalation, level by level: the pure next step over plain values, and the Escalator and its
tick on the fakes, saying who is paged and what the timeline says."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.planning import Gap
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    NotificationJob,
    ResponseState,
    Severity,
    Stop,
)
from chalicelib.core.oncall.shifts import Override
from chalicelib.core.playbook.escalations import parse_escalation
from chalicelib.core.response.next_step import (
    NextStep,
    Roster,
    StepOutcome,
    next_step,
)
from fakes import MemoryIncidentStore, MemoryWorld
from tests.unit.conftest import CHEN, DINA, FAY, NIGHT, OUTAGE, incident_of, post, story, texts

POLICY = parse_escalation(
    {
        "id": "core",
        "repeat": 1,
        "levels": [
            {"notify": [{"schedule": "duty"}], "chain": ["push", "sms"], "timeout": "5m"},
            {"notify": [{"role": "exec"}], "channels": ["sms"], "timeout": "10m", "quorum": 2},
        ],
    },
    "escalations[0]",
    {"role": {"exec"}, "team": set(), "schedule": {"duty"}},
)
ANN = Contact("c-ann", "Ann", ("exec",), phone="+12025550111")
BEN = Contact("c-ben", "Ben", ("exec",), phone="+12025550112", push_tokens=("fcm:ben-token-12345",))
NOBODY = Roster(gaps=(Gap("nobody on call", "schedule duty"),))


def incident(**state: Any) -> Incident:
    return Incident(
        "inc_1",
        IncidentStatus.OPEN,
        "Payments API down",
        "it.outage",
        Severity.CRITICAL,
        EventStatus.ACTUAL,
        "k",
        "r",
        "p",
        NIGHT,
        NIGHT,
        response=replace(ResponseState.starting("core", NIGHT), **state),
    )


# -- the next step: pure -------------------------------------------------------------------


def test_on_opening_the_first_level_is_paged_through_the_first_channel_that_works() -> None:
    step = next_step(incident(), POLICY, NIGHT, {0: Roster((BEN,)), 1: Roster()})
    assert (step.outcome, step.step, step.paged) == (StepOutcome.PAGED, 0, ("c-ben",))
    assert step.jobs == (NotificationJob("inc_1", "c-ben", Channel.PUSH, 1, (Channel.SMS,)),)
    assert step.state is not None
    assert (step.state.step, step.state.due_at, step.state.version) == (
        0,
        NIGHT + timedelta(minutes=5),
        1,
    )
    assert [entry.summary for entry in step.entries] == [
        "level 1 of 2 (core): paging c-ben; acknowledgement expected within 5m"
    ]


def test_nothing_is_due_before_the_deadline_or_once_acknowledged_or_resolved() -> None:
    paged = {"step": 0, "due_at": NIGHT + timedelta(minutes=5)}
    rosters = {0: Roster((ANN,)), 1: Roster((ANN,))}
    assert next_step(incident(**paged), POLICY, NIGHT, rosters).outcome is StepOutcome.NOTHING_DUE
    acknowledged = incident(**paged, stopped=Stop.ACKNOWLEDGED)
    later = NIGHT + timedelta(hours=1)
    assert next_step(acknowledged, POLICY, later, rosters) == NextStep(StepOutcome.NOTHING_DUE)
    resolved = replace(incident(), status=IncidentStatus.RESOLVED)
    assert next_step(resolved, POLICY, NIGHT, rosters).outcome is StepOutcome.NOTHING_DUE
    assert next_step(incident(), None, NIGHT, rosters).outcome is StepOutcome.NOTHING_DUE


def test_a_level_with_nobody_reachable_is_skipped_at_once_with_the_reason() -> None:
    step = next_step(incident(), POLICY, NIGHT, {0: NOBODY, 1: Roster((ANN, BEN))})
    assert (step.outcome, step.step, step.paged) == (StepOutcome.PAGED, 1, ("c-ann", "c-ben"))
    assert [entry.summary for entry in step.entries] == [
        "level 1 of 2 (core) skipped: nobody reachable",
        "level 2 of 2 (core): paging c-ann, c-ben; acknowledgement expected within 10m; "
        "2 must acknowledge",
    ]
    assert [entry.summary for entry in step.gaps] == ["schedule duty: nobody on call"]


def test_after_the_last_repeat_the_escalation_is_exhausted() -> None:
    last = incident(step=3, due_at=NIGHT)
    step = next_step(last, POLICY, NIGHT, {0: Roster((ANN,)), 1: Roster((ANN,))})
    assert (step.outcome, step.jobs) == (StepOutcome.EXHAUSTED, ())
    assert step.state is not None and step.state.stopped is Stop.EXHAUSTED
    assert [entry.summary for entry in step.entries] == [
        "escalation exhausted: nobody acknowledged after all 4 steps of core"
    ]
    nobody = next_step(incident(), POLICY, NIGHT, {0: NOBODY, 1: Roster()})
    assert nobody.outcome is StepOutcome.EXHAUSTED and nobody.moved
    assert len(nobody.entries) == 5  # four steps skipped, then exhausted


def test_people_the_plan_has_just_notified_are_paged_but_not_sent_again() -> None:
    step = next_step(
        incident(), POLICY, NIGHT, {0: Roster((ANN,)), 1: Roster()}, {("c-ann", "sms")}
    )
    assert (step.outcome, step.paged, step.jobs) == (StepOutcome.PAGED, ("c-ann",), ())


def test_only_the_levels_visited_are_looked_up() -> None:
    looked_up: list[int] = []

    class Rosters(dict[int, Roster]):
        def __getitem__(self, index: int) -> Roster:
            looked_up.append(index)
            return super().__getitem__(index)

    next_step(incident(), POLICY, NIGHT, Rosters({0: Roster((ANN,)), 1: Roster((BEN,))}))
    assert looked_up == [0]


# -- the Escalator and its tick, on the fakes ----------------------------------------------


def test_nobody_answers_so_level_two_is_paged_after_five_minutes(org: MemoryWorld) -> None:
    opened = post(org, OUTAGE)
    incident_id = incident_of(org, opened).incident_id
    assert len(texts(org, FAY)) == 1 and texts(org, CHEN) == []  # level 1: the duty officer
    org.clock.advance(minutes=4)
    assert org.escalator.tick().escalated == 0
    org.clock.advance(minutes=1, seconds=30)
    report = org.escalator.tick()
    # Level 2 is the it-security role by SMS and voice: Chen by SMS (no consent for calls),
    # Fay by both (this world has no voice channel: that job goes nowhere).
    assert (report.escalated, report.jobs, report.failed) == (1, 3, [])
    assert org.escalator.tick().escalated == 0  # a second tick in the same minute
    org.run_queues()
    assert len(texts(org, CHEN)) == 1 and len(texts(org, FAY)) == 2
    assert story(org, incident_id, "paged", "escalated") == [
        "level 1 of 3 (it-major): paging c-fay; acknowledgement expected within 5m",
        "level 2 of 3 (it-major): paging c-chen, c-fay; acknowledgement expected within 10m",
    ]


def test_a_tick_that_read_before_another_moved_the_incident_loses_and_pages_nobody(
    org: MemoryWorld,
) -> None:
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    org.clock.advance(minutes=6)
    stale = org.incidents.get(incident_id)
    assert stale is not None
    first = org.escalator.advance(stale)
    assert (first.outcome, first.step, first.paged) == (StepOutcome.PAGED, 1, ("c-chen", "c-fay"))
    second = org.escalator.advance(stale)
    assert (second.outcome, second.step, second.jobs) == (StepOutcome.LOST_RACE, 1, ())
    org.run_queues()
    assert len(texts(org, CHEN)) == 1


def test_the_level_three_jobs_of_a_tick_that_lost_to_an_acknowledgement_are_dropped(
    org: MemoryWorld,
) -> None:
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    org.clock.advance(minutes=6)
    org.escalator.tick()
    org.run_queues()
    org.clock.advance(minutes=11)
    before = org.incidents.get(incident_id)
    assert before is not None
    org.responses.acknowledge(incident_id, Answerer.by_link("c-chen"))
    lost = org.escalator.advance(before)
    assert lost.outcome is StepOutcome.LOST_RACE
    org.run_queues()  # the jobs it queued before losing
    assert len(texts(org, "+12025550101")) == 0  # Ada (level 3) was not paged
    assert story(org, incident_id, "paged", "escalated")[-1].startswith("level 2 of 3")


def test_an_override_pages_who_stands_in_for_the_duty_officer(org: MemoryWorld) -> None:
    org.overrides.add(
        Override("ovr_1", "it-duty", "c-dina", NIGHT - timedelta(hours=1), NIGHT + timedelta(1))
    )
    post(org, OUTAGE)
    assert len(texts(org, DINA)) == 1 and texts(org, FAY) == []


def test_a_schedule_with_nobody_on_call_is_skipped_and_said(org: MemoryWorld) -> None:
    # Fay hands the whole schedule to someone who is not a contact.
    org.overrides.add(
        Override("ovr_1", "it-duty", "c-gone", NIGHT - timedelta(hours=1), NIGHT + timedelta(1))
    )
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    # All said at the same instant (the timeline then orders them by their keys).
    assert sorted(story(org, incident_id, "unreachable", "escalation_skipped", "paged")) == [
        "escalation: no such contact",
        "level 1 of 3 (it-major) skipped: nobody reachable",
        "level 2 of 3 (it-major): no consent for voice",
        "level 2 of 3 (it-major): paging c-chen, c-fay; acknowledgement expected within 10m",
    ]
    assert len(texts(org, CHEN)) == 1


def step_of(org: MemoryWorld, incident_id: str) -> int:
    stored = org.incidents.get(incident_id)
    assert stored is not None
    return stored.response.step


class ThrottledIncidents(MemoryIncidentStore):
    """DynamoDB throttles reads of the incidents named in ``throttled``."""

    throttled: frozenset[str] = frozenset()

    def get(self, incident_id: str) -> Incident | None:
        if incident_id in self.throttled:
            raise TransientError("DynamoDB: ThrottlingException")
        return super().get(incident_id)


def test_one_incident_that_fails_does_not_hold_up_the_others_at_the_tick() -> None:
    org = MemoryWorld.example(NIGHT, incidents=ThrottledIncidents)
    first = incident_of(org, post(org, OUTAGE)).incident_id
    second = incident_of(org, post(org, OUTAGE, dedup_key="second-outage")).incident_id
    assert isinstance(org.incidents, ThrottledIncidents)
    org.incidents.throttled = frozenset({first})
    org.clock.advance(minutes=6)
    report = org.escalator.tick()
    assert (report.failed, report.escalated) == ([first], 1)
    org.incidents.throttled = frozenset()
    assert org.escalator.tick().escalated == 1  # the next tick catches up
    assert [step_of(org, incident_id) for incident_id in (first, second)] == [1, 1]


def test_an_incident_whose_policy_is_gone_is_not_escalated(org: MemoryWorld) -> None:
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    stored = org.incidents.get(incident_id)
    assert stored is not None
    orphan = replace(stored, response=replace(stored.response, policy_id="retired"))
    org.clock.advance(minutes=6)
    assert org.escalator.advance(orphan).outcome is StepOutcome.NOTHING_DUE


@pytest.mark.parametrize("minutes", [5, 15, 30])
def test_the_whole_policy_runs_twice_then_stops(org: MemoryWorld, minutes: int) -> None:
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    for _ in range(12):
        org.clock.advance(minutes=minutes)
        org.escalator.tick()
    org.run_queues()
    summaries = story(org, incident_id, "escalated", "escalation_exhausted")
    assert len(summaries) == 6  # steps 2..6 of 3 levels x 2, then exhausted
    assert (
        summaries[-1] == "escalation exhausted: nobody acknowledged after all 6 steps of it-major"
    )
