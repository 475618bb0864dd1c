"""Activation rules decide, and every decision says why."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.activation import evaluate, matches_type
from chalicelib.core.events import parse_event
from chalicelib.core.policy import Playbook, parse_playbook
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

ROLES = [{"id": "executive"}]
PLANS = [{"id": "p1", "title": "Plan", "notify": [{"role": "executive", "channels": ["sms"]}]}]


def playbook(*rules: dict[str, Any]) -> Playbook:
    return parse_playbook(list(rules), PLANS, ROLES)


def event(**fields: Any) -> Any:
    return parse_event(
        {
            "source": "test",
            "summary": "s",
            "severity": "high",
            "type": "cyber.data_breach",
            **fields,
        }
    )


BREACH_RULE = {
    "id": "breach",
    "match": {"types": ["cyber.data_breach"], "min_severity": "high"},
    "conditions": [{"metric": "affected_people", "op": ">=", "value": 500}],
    "plan": "p1",
}


def test_activates_when_type_severity_and_threshold_all_hold() -> None:
    verdict = evaluate(event(metrics={"affected_people": 500}), playbook(BREACH_RULE))
    assert verdict.activate
    assert (verdict.code, verdict.rule_id, verdict.plan_id) == ("matched", "breach", "p1")


def test_below_threshold_says_by_how_much() -> None:
    verdict = evaluate(event(metrics={"affected_people": 120}), playbook(BREACH_RULE))
    assert not verdict.activate
    assert verdict.code == "below_threshold"
    assert verdict.reason == "below threshold: affected_people 120 < 500 (rule breach)"


def test_a_missing_metric_is_not_treated_as_zero_silently() -> None:
    verdict = evaluate(event(), playbook(BREACH_RULE))
    assert verdict.code == "metric_missing"
    assert "affected_people" in verdict.reason


def test_below_severity_floor_is_suppressed() -> None:
    verdict = evaluate(
        event(severity="medium", metrics={"affected_people": 9000}), playbook(BREACH_RULE)
    )
    assert (verdict.activate, verdict.code) == (False, "below_severity")
    assert "medium < high" in verdict.reason


def test_test_events_do_not_activate_rules_made_for_real_and_exercise() -> None:
    verdict = evaluate(
        event(status="test", metrics={"affected_people": 900}), playbook(BREACH_RULE)
    )
    assert verdict.code == "status_not_covered"


def test_exercise_events_activate_by_default() -> None:
    verdict = evaluate(
        event(status="exercise", metrics={"affected_people": 900}), playbook(BREACH_RULE)
    )
    assert verdict.activate


def test_an_unknown_type_is_reported_as_such() -> None:
    verdict = evaluate(event(type="natural.volcano"), playbook(BREACH_RULE))
    assert verdict.code == "no_rule_for_type"
    assert verdict.reason == "no activation rule matches type natural.volcano"


def test_first_satisfied_rule_wins_and_a_near_miss_does_not_hide_a_later_match() -> None:
    catch_all = {"id": "any-cyber", "match": {"types": ["cyber.*"]}, "plan": "p1"}
    verdict = evaluate(event(metrics={"affected_people": 3}), playbook(BREACH_RULE, catch_all))
    assert verdict.rule_id == "any-cyber"


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("cyber.*", "cyber.data_breach", True),
        ("cyber.*", "cyber.a.b", True),
        ("cyber.*", "cyberx.a", False),
        ("*", "it.outage", True),
        ("it.outage", "it.outage", True),
        ("it.outage", "it.outage.db", False),
    ],
)
def test_type_patterns(pattern: str, event_type: str, expected: bool) -> None:
    assert matches_type(pattern, event_type) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">=", 500, True),
        (">", 500, False),
        ("<=", 500, True),
        ("<", 500, False),
        ("==", 500, True),
        ("!=", 500, False),
    ],
)
def test_every_comparison(op: str, value: float, expected: bool) -> None:
    rule = {**BREACH_RULE, "conditions": [{"metric": "affected_people", "op": op, "value": value}]}
    assert evaluate(event(metrics={"affected_people": 500}), playbook(rule)).activate is expected


def test_the_example_playbook_activates_the_demo_crisis() -> None:
    documents = read_policy_dir(PROJECT / "policies")
    demo = parse_event(
        __import__("json").loads((PROJECT / "examples" / "events" / "demo.json").read_text())
    )
    verdict = evaluate(demo, documents.validate())
    assert (verdict.rule_id, verdict.plan_id) == ("data-breach-500", "crisis-cell")
