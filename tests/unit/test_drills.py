"""Drills on the fakes: a tabletop sends nothing, a simulation marks every message and reaches
its roster only, a full-scale drill drafts its statements, bad input sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.drills.kinds import DrillState
from chalicelib.core.errors import Conflict, InvalidRequest
from chalicelib.core.model import EventStatus, IncidentStatus
from chalicelib.core.playbook.drill_request import AckTarget, DrillKind, parse_drill_request
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DINA, FAY, story


def request(org: MemoryWorld, **fields: Any) -> Any:
    document = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-ada", "c-bo"]}
    return parse_drill_request(document | fields, org.clock.now())


def test_a_tabletop_drill_prints_the_plan_and_sends_nothing(org: MemoryWorld) -> None:
    started = org.drills.run(request(org, kind="tabletop", roster=["role:executive"]), "c-ada")
    org.run_queues()
    assert org.sent() == [] and org.dispatch_queue.bodies == []
    assert started.drill.state is DrillState.FINISHED and started.drill.incident_id is None
    plan = started.plan
    assert plan is not None
    # Executives Ada (en) and Dina (nb), by SMS and email, in their own languages.
    firsts = {(m.contact_id, m.channel.value, m.language) for m in plan.messages if m.step == 0}
    assert firsts == {
        ("c-ada", "sms", "en"),
        ("c-ada", "email", "en"),
        ("c-dina", "sms", "nb"),
        ("c-dina", "email", "nb"),
    }
    assert all("[EXERCISE]" in message.text for message in plan.messages)
    assert all(m.sms_parts >= 1 for m in plan.messages if m.channel.value == "sms")
    assert plan.usd > 0
    # Escalation levels are worked out too; those off the roster are gaps, not messages.
    assert {m.contact_id for m in plan.messages} == {"c-ada", "c-dina"}
    assert any("off the drill's roster" in gap for gap in plan.gaps)
    assert any("nobody in role hr" in gap or "hr" in gap for gap in plan.gaps)
    assert org.drills.get(started.drill.drill_id).note == plan.summary()


def test_a_simulation_marks_every_message_and_reaches_its_roster_only(org: MemoryWorld) -> None:
    drill = org.drills.run(request(org, roster=["c-ada", "c-bo", "c-chen"]), "c-ada").drill
    org.run_queues()
    incident = org.incidents.get(drill.incident_id or "")
    assert incident is not None and incident.event_status is EventStatus.EXERCISE
    assert incident.drill_id == drill.drill_id and incident.status is IncidentStatus.OPEN
    reached = {sent.destination for sent in org.sent()}
    assert reached == {ADA, BO, CHEN, "ada@example.com", "bo@example.com", "chen@example.com"}
    for sent in org.sent():
        assert "[EXERCISE]" in (sent.message.subject or sent.message.body), sent
    # Escalation: the crisis core's next levels page nobody off the roster (Dina is legal).
    for _ in range(4):
        org.clock.advance(minutes=30)
        org.escalator.tick()
        org.run_queues()
    assert DINA not in {sent.destination for sent in org.sent()}
    assert FAY not in {sent.destination for sent in org.sent()}
    # A simulation exercises the responders: no statement is drafted to audiences.
    assert org.statement_desk.statements(incident.incident_id) == []
    assert story(org, incident.incident_id, "drill_started") == [
        f"simulation drill {drill.drill_id} of Full crisis cell started by c-ada: 3 people on "
        "its roster, nobody else is sent anything"
    ]


def test_a_full_scale_drill_drafts_the_plans_statements_as_exercises(org: MemoryWorld) -> None:
    drill = org.drills.run(
        request(org, plan="site-emergency", kind="full-scale", roster=["c-fay"]), "c-fay"
    ).drill
    org.run_queues()
    assert {sent.destination for sent in org.sent()} == {FAY}
    drafts = org.statement_desk.statements(drill.incident_id or "")
    assert drafts and all("[EXERCISE]" in draft.subject for draft in drafts), drafts


def test_the_plans_checkin_asks_the_roster_only(org: MemoryWorld) -> None:
    drill = org.drills.run(
        request(org, plan="building-evacuation", roster=["c-fay", "c-ada"]), "c-fay"
    ).drill
    org.run_queues()
    reached = {sent.destination for sent in org.sent()}
    assert reached <= {FAY, ADA, "fay@example.com", "ada@example.com"}
    assert BO not in reached and "emil@example.com" not in reached  # hq, off the roster
    assert drill.incident_id is not None


def test_the_register_counts_acknowledgements_declines_and_silence(org: MemoryWorld) -> None:
    drill = org.drills.run(
        request(org, roster=["c-ada", "c-bo", "c-chen"], targets=[
            {"role": "executive", "acknowledged": "90%", "within": "15m"}
        ]), "c-ada",
    ).drill  # fmt: skip
    assert drill.targets == (AckTarget("executive", 0.9, 900),)
    org.run_queues()
    org.clock.advance(minutes=2)
    org.responses.acknowledge(drill.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    org.responses.decline(drill.incident_id or "", Answerer.by_personal_key("k", "c-chen"))
    counts = org.drills.counts(org.drills.get(drill.drill_id))
    assert counts is not None
    assert (counts.roster, counts.reached, counts.acknowledged, counts.declined) == (3, 3, 1, 1)
    assert counts.silent == 1 and counts.median_ack_seconds is not None


def test_a_second_drill_of_the_plan_waits_until_the_first_is_over(org: MemoryWorld) -> None:
    first = org.drills.run(request(org), "c-ada").drill
    org.run_queues()
    sent = len(org.sent())
    with pytest.raises(Conflict, match=f"drill {first.drill_id} of plan crisis-cell"):
        org.drills.run(request(org), "c-ada")
    org.run_queues()
    assert len(org.sent()) == sent
    org.responses.resolve(first.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    assert org.drills.get(first.drill_id).state is DrillState.FINISHED
    assert org.drills.run(request(org), "c-ada").drill.state is DrillState.RUNNING


PAST = {"from": "02:00", "to": "05:00", "until": "2020-01-01T00:00Z"}
SATURDAY_WITHIN_A_DAY = {"weekdays": ["sat"], "from": "02:00", "to": "03:00", "within": "1d"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"plan": "no-such-plan"}, "plan", "no response plan 'no-such-plan'"),
        ({"kind": "fire-drill"}, "kind", "must be one of tabletop, simulation"),
        ({"roster": []}, "roster", "is empty"),
        ({"roster": ["c-nobody"]}, "roster", "no contact c-nobody"),
        ({"roster": ["role:astronaut"]}, "roster[0]", "no role 'astronaut'"),
        ({"targets": [{"role": "pilot", "acknowledged": "90%", "within": "15m"}]},
         "targets[0].role", "no role 'pilot'"),
        ({"targets": [{"acknowledged": "0%", "within": "15m"}]}, "targets[0].acknowledged",
         "must be a share"),
        ({"kind": "surprise"}, "window", "is required for a surprise drill"),
        (
            {"kind": "surprise", "window": PAST},
            "window.until",
            "is in the past",
        ),
        (
            {"kind": "surprise", "window": {"from": "02:00", "to": "02:00:30", "within": "30d"}},
            "window.to",
            "shorter than a minute",
        ),
        (
            {"kind": "surprise", "window": SATURDAY_WITHIN_A_DAY},
            "window",
            "no minute left",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_sends_nothing(
    org: MemoryWorld, fields: dict[str, Any], field: str, message: str
) -> None:
    org.clock.current = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
    with pytest.raises(InvalidRequest, match=message) as refused:
        org.drills.run(request(org, **fields), "c-ada")
    assert refused.value.field == field
    org.run_queues()
    assert org.sent() == [] and org.drill_register.page(10, None).items == ()


def test_a_surprise_fires_inside_its_window_and_never_before(org: MemoryWorld) -> None:
    org.clock.current = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # Wednesday noon, Copenhagen 13:00
    window = {"weekdays": ["thu"], "from": "02:00", "to": "05:00", "within": "7d",
              "timezone": "Europe/Copenhagen"}  # fmt: skip
    org.drill_draws.append(100)  # the 101st minute: Thursday 03:40 in Copenhagen
    drill = org.drills.run(request(org, kind="surprise", window=window), "c-ada").drill
    assert drill.state is DrillState.SCHEDULED and drill.fire_at is not None
    fired_at = None
    while fired_at is None and org.clock.now() < datetime(2026, 12, 10, tzinfo=UTC):
        org.clock.advance(minutes=1)
        if org.drills.fire_due().fired:
            fired_at = org.clock.now()
        else:
            assert org.sent() == []
    assert fired_at == datetime(2026, 12, 3, 2, 40, tzinfo=UTC)  # 03:40 in Copenhagen
    org.run_queues()
    assert {s.destination for s in org.sent()} <= {ADA, BO, "ada@example.com", "bo@example.com"}
    assert org.drills.get(drill.drill_id).state is DrillState.RUNNING


def test_kinds_say_whether_they_send() -> None:
    assert [kind.sends for kind in DrillKind] == [False, True, True, True]
    assert timedelta(seconds=AckTarget(None, 1.0, 60).within_seconds) == timedelta(minutes=1)


def test_a_surprise_waiting_for_its_moment_holds_its_plan(org: MemoryWorld) -> None:
    window = {"from": "02:00", "to": "05:00", "within": "7d"}
    waiting = org.drills.run(request(org, kind="surprise", window=window), "c-ada").drill
    with pytest.raises(Conflict, match=f"drill {waiting.drill_id} .* is still scheduled"):
        org.drills.run(request(org), "c-ada")
    assert org.drills.run(request(org, kind="tabletop"), "c-ada").drill.state is DrillState.FINISHED
