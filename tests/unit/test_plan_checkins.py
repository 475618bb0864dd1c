"""A response plan's check-in step: validated with the playbook (every problem named, with its
path), and started once when the plan activates, an exercise when the incident is one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from chalicelib.core.activation.manual import ManualRequest
from chalicelib.core.checkins.plan_step import plan_checkin_id
from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.model import EventStatus, Severity
from chalicelib.core.playbook.document import parse_playbook
from fakes import MemoryWorld
from tests.conftest import PROJECT
from tests.unit.conftest import ADA, BO, FAY, texts
from tests.unit.test_policy import SCHEMA
from tocsin_cli.policies import read_policy_dir

STEP: dict[str, Any] = {"audience": {"roles": ["legal"]}, "responders": {"role": "executive"}}


def playbook_with(step: Any) -> Any:
    plan = {"id": "p1", "title": "P", "escalation": "e1", "checkin": step}
    return parse_playbook(
        {
            "roles": [{"id": "executive"}, {"id": "legal"}],
            "teams": [{"id": "site-oslo"}],
            "escalations": [
                {
                    "id": "e1",
                    "levels": [
                        {"notify": [{"role": "executive"}], "channels": ["sms"], "timeout": "5m"}
                    ],
                }
            ],
            "plans": [plan],
        }
    )


def test_the_example_evacuation_plan_asks_hq_in_four_languages() -> None:
    step = read_policy_dir(PROJECT / "policies").validate().plans["building-evacuation"].checkin
    assert step is not None
    assert step.audience.labels == ("hq",) and step.responders == ("role", "facilities")
    assert step.question["da"] == "Nødsituation på HQ. Er du i sikkerhed?"
    assert [o.text("zh-Hant") for o in step.options] == ["我很安全", "我需要幫助", "我不在總部"]
    assert [o.needs_help for o in step.options] == [False, True, False]
    assert (step.deadline, step.reminders.times, step.reminders.then_lead) == (
        timedelta(hours=2),
        3,
        True,
    )


def test_a_plan_with_a_valid_step_parses() -> None:
    step = playbook_with({**STEP, "responders": {"escalation": "e1"}}).plans["p1"].checkin
    assert step.responders == ("escalation", "e1") and step.exercise is False


@pytest.mark.parametrize(
    ("step", "path", "words"),
    [
        ([], "plans[0].checkin", "must be a JSON object"),
        ({**STEP, "status": "exercise"}, "plans[0].checkin.status", "follows the event"),
        ({**STEP, "options": ["Only one"]}, "plans[0].checkin.options", "2 to 9"),
        ({**STEP, "deadline": "8d"}, "plans[0].checkin.deadline", "between 1m and 7d"),
        ({**STEP, "colour": "red"}, "plans[0].checkin.colour", "unknown field"),
        ({**STEP, "audience": {}}, "plans[0].checkin.audience", "is empty"),
        ({**STEP, "audience": {"roles": ["cook"]}}, "plans[0].checkin.audience.roles[0]", "cook"),
        ({**STEP, "audience": {"teams": ["mars"]}}, "plans[0].checkin.audience.teams[0]", "mars"),
        (
            {**STEP, "audience": {"labels": ["hq", "a" * 33]}},
            "plans[0].checkin.audience.labels[1]",
            "is not a label",
        ),
        ({**STEP, "responders": {"role": "cook"}}, "plans[0].checkin.responders.role", "no role"),
        (
            {**STEP, "responders": {"schedule": "nope"}},
            "plans[0].checkin.responders.schedule",
            "no schedule",
        ),
        (
            {**STEP, "responders": {"escalation": "e9"}},
            "plans[0].checkin.responders.escalation",
            "no escalation",
        ),
        ({**STEP, "remind": {"every": "10s"}}, "plans[0].checkin.remind.every", "at least 1m"),
    ],
)
def test_a_bad_step_is_refused_with_its_path(step: Any, path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        playbook_with(step)
    errors = caught.value.errors if isinstance(caught.value, InvalidPolicies) else [caught.value]
    assert any(e.path == path and words in e.message for e in errors), errors


def test_every_problem_of_a_step_is_named_at_once() -> None:
    step = {"options": ["One"], "audience": {"roles": ["cook"]}, "responders": {"role": "x"}}
    with pytest.raises(InvalidPolicies) as caught:
        playbook_with(step)
    assert [e.path for e in caught.value.errors] == ["plans[0].checkin.options"]  # then the rest
    with pytest.raises(InvalidPolicies) as caught:
        playbook_with({**step, "options": ["One", "Two"]})
    assert [e.path for e in caught.value.errors] == [
        "plans[0].checkin.audience.roles[0]",
        "plans[0].checkin.responders.role",
    ]


@pytest.mark.parametrize(
    "step",
    [
        {"audience": {"roles": ["legal"]}},  # no responders
        {**STEP, "channels": ["sms"], "chain": ["sms"]},
        {**STEP, "deadline": "2 hours"},
        {**STEP, "status": "exercise"},
    ],
)
def test_the_json_schema_refuses_what_the_parser_refuses(step: dict[str, Any]) -> None:
    plan = {"id": "p1", "title": "P", "escalation": "e1", "checkin": step}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"plans": [plan]}, SCHEMA)


def test_activating_the_plan_starts_its_checkin_once_and_as_an_exercise(org: MemoryWorld) -> None:
    drill = ManualRequest("Fire alarm, HQ", Severity.HIGH, EventStatus.EXERCISE, "manual.drill")
    incident = org.manual.request("building-evacuation", "c-fay", drill)
    org.run_queues()
    checkin_id = plan_checkin_id(incident.incident_id)
    checkin = org.checkin_store.get(checkin_id)
    assert checkin is not None and checkin.exercise and checkin.asked == 3  # Ada, Bo, Emil: hq
    assert checkin.incident_id != incident.incident_id
    asked = texts(org, ADA)
    assert len(asked) == 1
    assert asked[0].startswith("[EXERCISE] TOCSIN CHECK-IN: Emergency at HQ. Are you safe?")
    assert texts(org, BO)[0].startswith("[EXERCISE] TOCSIN TJEK: Nødsituation på HQ.")
    assert texts(org, FAY)[0].startswith("[EXERCISE]")  # the plan's own message to facilities
    org.notifier.notify(incident.incident_id)  # the activation again (a redelivery)
    org.run_queues()
    assert len(texts(org, ADA)) == 1 and org.checkin_store.open_ids() == [checkin_id]
    started = [e for e in org.incidents.timeline(incident.incident_id) if e.kind == "plan_checkin"]
    assert len(started) == 1 and checkin_id in started[0].summary
