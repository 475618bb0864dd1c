"""Activation rules decide, and every decision says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core.activation.decide import evaluate
from chalicelib.core.events import parse_event
from chalicelib.core.playbook.document import Playbook, parse_playbook
from chalicelib.core.playbook.scopes import matches_type
from chalicelib.core.verdicts import Activation, History
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

ROLES = [{"id": "executive"}]
PLANS = [{"id": "p1", "title": "Plan", "notify": [{"role": "executive", "channels": ["sms"]}]}]
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def playbook(*rules: dict[str, Any], maintenance: list[Any] | None = None) -> Playbook:
    return parse_playbook(
        {"roles": ROLES, "plans": PLANS, "rules": list(rules), "maintenance": maintenance or []}
    )


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
OUTAGE = {"id": "outage", "match": {"types": ["it.outage"]}, "plan": "p1"}


def test_activates_when_type_severity_and_threshold_all_hold() -> None:
    verdict = evaluate(event(metrics={"affected_people": 500}), playbook(BREACH_RULE), NOON)
    assert verdict.activate
    assert (verdict.code, verdict.rule_id, verdict.plan_id) == ("matched", "breach", "p1")
    assert verdict.severity == "high"


def test_below_threshold_says_by_how_much() -> None:
    verdict = evaluate(event(metrics={"affected_people": 120}), playbook(BREACH_RULE), NOON)
    assert not verdict.activate
    assert verdict.code == "below_threshold"
    assert verdict.reason == "below threshold: affected_people 120 < 500 (rule breach)"


def test_a_missing_metric_is_not_treated_as_zero_silently() -> None:
    verdict = evaluate(event(), playbook(BREACH_RULE), NOON)
    assert verdict.code == "metric_missing"
    assert "affected_people" in verdict.reason


def test_below_severity_floor_is_suppressed() -> None:
    verdict = evaluate(
        event(severity="medium", metrics={"affected_people": 9000}), playbook(BREACH_RULE), NOON
    )
    assert (verdict.activate, verdict.code) == (False, "below_severity")
    assert "medium < high" in verdict.reason


def test_test_events_do_not_activate_rules_made_for_real_and_exercise() -> None:
    verdict = evaluate(
        event(status="test", metrics={"affected_people": 900}), playbook(BREACH_RULE), NOON
    )
    assert verdict.code == "status_not_covered"


def test_exercise_events_activate_by_default() -> None:
    verdict = evaluate(
        event(status="exercise", metrics={"affected_people": 900}), playbook(BREACH_RULE), NOON
    )
    assert verdict.activate


def test_an_unknown_type_is_reported_as_such() -> None:
    verdict = evaluate(event(type="natural.volcano"), playbook(BREACH_RULE), NOON)
    assert verdict.code == "no_rule_for_type"
    assert verdict.reason == "no activation rule matches type natural.volcano"


def test_first_satisfied_rule_wins_and_a_near_miss_does_not_hide_a_later_match() -> None:
    catch_all = {"id": "any-cyber", "match": {"types": ["cyber.*"]}, "plan": "p1"}
    verdict = evaluate(
        event(metrics={"affected_people": 3}), playbook(BREACH_RULE, catch_all), NOON
    )
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
    verdict = evaluate(event(metrics={"affected_people": 500}), playbook(rule), NOON)
    assert verdict.activate is expected


# --- sources and labels -------------------------------------------------------------------


def test_sources_match_with_wildcards() -> None:
    rule = {**OUTAGE, "match": {"types": ["it.outage"], "sources": ["prometheus:*", "grafana"]}}
    book = playbook(rule)
    assert evaluate(event(type="it.outage", source="prometheus:api"), book, NOON).activate
    assert evaluate(event(type="it.outage", source="grafana"), book, NOON).activate
    missed = evaluate(event(type="it.outage", source="nagios"), book, NOON)
    assert missed.code == "source_not_covered"
    assert "nagios is not one of prometheus:*, grafana" in missed.reason


def test_labels_must_all_match_one_of_their_values() -> None:
    rule = {
        **OUTAGE,
        "match": {"types": ["it.outage"], "labels": {"env": ["prod", "production"], "team": "*"}},
    }
    book = playbook(rule)
    assert evaluate(
        event(type="it.outage", labels={"env": "prod", "team": "a"}), book, NOON
    ).activate
    staging = evaluate(event(type="it.outage", labels={"env": "staging", "team": "a"}), book, NOON)
    assert staging.code == "label_mismatch"
    assert "label env=staging not in prod, production" in staging.reason
    missing = evaluate(event(type="it.outage", labels={"env": "prod"}), book, NOON)
    assert "label team missing" in missing.reason


# --- condition trees ----------------------------------------------------------------------


TREE = {
    **BREACH_RULE,
    "conditions": {
        "any": [
            {"metric": "affected_people", "op": ">=", "value": 500},
            {
                "all": [
                    {"metric": "records", "op": ">=", "value": 10000},
                    {"not": {"metric": "encrypted", "op": "==", "value": 1}},
                ]
            },
        ]
    },
}


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"affected_people": 600}, True),
        ({"affected_people": 10, "records": 20000, "encrypted": 0}, True),
        ({"affected_people": 10, "records": 20000, "encrypted": 1}, False),
        ({"affected_people": 10, "records": 20}, False),
    ],
)
def test_all_any_and_not_combine(metrics: dict[str, float], expected: bool) -> None:
    assert evaluate(event(metrics=metrics), playbook(TREE), NOON).activate is expected


def test_a_failed_any_explains_every_branch() -> None:
    verdict = evaluate(event(metrics={"affected_people": 10, "records": 5}), playbook(TREE), NOON)
    assert verdict.code == "below_threshold"
    assert verdict.reason.startswith("none of: below threshold: affected_people 10 < 500;")
    assert "records 5 < 10000" in verdict.reason


def test_not_on_a_missing_metric_does_not_pass() -> None:
    rule = {**BREACH_RULE, "conditions": {"not": {"metric": "encrypted", "op": "==", "value": 1}}}
    assert evaluate(event(), playbook(rule), NOON).code == "metric_missing"


# --- severity assignment ------------------------------------------------------------------


def test_a_rule_can_assign_the_incident_severity() -> None:
    rule = {**OUTAGE, "severity": "critical"}
    assert evaluate(event(type="it.outage", severity="low"), playbook(rule), NOON).severity == (
        "critical"
    )


# --- time windows, across DST -------------------------------------------------------------

OFFICE = {
    **OUTAGE,
    "active": {
        "timezone": "Europe/Copenhagen",
        "windows": [{"days": ["weekdays"], "from": "08:00", "to": "18:00"}],
    },
}


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Winter (UTC+1): 07:30 UTC is 08:30 local, inside; 06:59 UTC is 07:59, outside.
        ("2026-01-12T07:30:00+00:00", True),
        ("2026-01-12T06:59:00+00:00", False),
        ("2026-01-12T16:59:00+00:00", True),
        ("2026-01-12T17:00:00+00:00", False),
        # Summer (UTC+2): the same 07:30 UTC is 09:30 local; 06:30 UTC is 08:30, inside.
        ("2026-07-13T06:30:00+00:00", True),
        ("2026-07-13T16:30:00+00:00", False),
        # The Monday after the spring change (29 March 2026) and after the autumn change (25 Oct).
        ("2026-03-30T06:00:00+00:00", True),
        ("2026-03-30T05:59:00+00:00", False),
        ("2026-10-26T07:00:00+00:00", True),
        ("2026-10-26T06:59:00+00:00", False),
        # A Saturday at noon.
        ("2026-01-10T11:00:00+00:00", False),
    ],
)
def test_active_hours_follow_the_wall_clock_across_dst(instant: str, expected: bool) -> None:
    at = datetime.fromisoformat(instant)
    verdict = evaluate(event(type="it.outage"), playbook(OFFICE), at)
    assert verdict.activate is expected
    if not expected:
        # Held (the default), to be decided when the window opens: the next 08:00 local.
        assert verdict.code == "held" and verdict.decide_at is not None
        assert verdict.decide_at > at
        assert evaluate(event(type="it.outage"), playbook(OFFICE), verdict.decide_at).activate
        local = verdict.decide_at.astimezone(ZoneInfo("Europe/Copenhagen"))
        assert (local.hour, local.minute, local.weekday() < 5) == (8, 0, True)
        assert "mon,tue,wed,thu,fri 08:00-18:00 Europe/Copenhagen" in verdict.reason


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = {
        **OUTAGE,
        "active": {
            "timezone": "Europe/Oslo",
            "windows": [{"days": ["fri"], "from": "22:00", "to": "06:00"}],
        },
    }
    book = playbook(night)
    friday_late = datetime(2026, 1, 9, 22, 30, tzinfo=UTC)  # 23:30 Friday in Oslo
    saturday_early = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)  # 05:00 Saturday
    saturday_late = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)  # 23:30 Saturday
    assert evaluate(event(type="it.outage"), book, friday_late).activate
    assert evaluate(event(type="it.outage"), book, saturday_early).activate
    assert not evaluate(event(type="it.outage"), book, saturday_late).activate


def test_outside_its_window_a_rule_lets_a_later_rule_match() -> None:
    fallback = {"id": "after-hours", "match": {"types": ["it.*"]}, "plan": "p1"}
    saturday = datetime(2026, 1, 10, 11, 0, tzinfo=UTC)
    assert evaluate(event(type="it.outage"), playbook(OFFICE, fallback), saturday).rule_id == (
        "after-hours"
    )


# --- maintenance windows ------------------------------------------------------------------

WINDOW = {
    "id": "mw-3",
    "timezone": "Europe/Copenhagen",
    "start": "2026-11-23T12:00",
    "end": "2026-11-23T16:00",
    "scope": {"types": ["it.*"], "labels": {"service": "orders-db"}},
}


def test_a_maintenance_window_suppresses_what_it_covers_while_it_lasts() -> None:
    book = playbook(OUTAGE, maintenance=[WINDOW])
    covered = event(type="it.outage", labels={"service": "orders-db"})
    during = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 13:00 in Copenhagen
    verdict = evaluate(covered, book, during)
    assert (verdict.activate, verdict.code) == (False, "maintenance")
    assert verdict.reason.startswith("suppressed by maintenance window mw-3")
    assert evaluate(covered, book, datetime(2026, 11, 23, 15, 0, tzinfo=UTC)).activate  # ended
    assert evaluate(covered, book, datetime(2026, 11, 23, 10, 59, tzinfo=UTC)).activate  # not yet
    other = event(type="it.outage", labels={"service": "web"})
    assert evaluate(other, book, during).activate


def test_a_maintenance_window_can_be_limited_to_rules() -> None:
    window = {**WINDOW, "scope": {}, "rules": ["breach"]}
    book = playbook(OUTAGE, BREACH_RULE, maintenance=[window])
    during = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert evaluate(event(type="it.outage"), book, during).activate
    breach = evaluate(event(metrics={"affected_people": 900}), book, during)
    assert breach.code == "maintenance"


# --- dedup window, flap damping, rate limit -----------------------------------------------


def history(rule: list[int] = (), key: list[int] = ()) -> History:  # type: ignore[assignment]
    """Activations ``minutes`` before NOON."""
    return History(
        rule=tuple(Activation(NOON - timedelta(minutes=m), f"inc-r{m}") for m in rule),
        key=tuple(Activation(NOON - timedelta(minutes=m), f"inc-k{m}") for m in key),
    )


def test_within_the_dedup_window_a_repeat_is_a_duplicate_of_the_last_incident() -> None:
    book = playbook({**OUTAGE, "dedup_window": "30m"})
    verdict = evaluate(event(type="it.outage"), book, NOON, lambda rule: history(key=[45, 10]))
    assert (verdict.activate, verdict.code, verdict.incident_id) == (False, "duplicate", "inc-k10")
    assert "within the 30m dedup window" in verdict.reason
    later = evaluate(event(type="it.outage"), book, NOON, lambda rule: history(key=[31]))
    assert later.activate


def test_flapping_keys_are_damped() -> None:
    book = playbook({**OUTAGE, "flap": {"activations": 3, "within": "1h"}})
    flapping = evaluate(event(type="it.outage"), book, NOON, lambda r: history(key=[5, 20, 50]))
    assert flapping.code == "flapping"
    assert "3 incidents for this dedup key in the last 1h" in flapping.reason
    calm = evaluate(event(type="it.outage"), book, NOON, lambda r: history(key=[5, 20, 70]))
    assert calm.activate


def test_a_rate_limited_rule_holds_back_beyond_its_count() -> None:
    book = playbook({**OUTAGE, "rate_limit": {"count": 1, "per": "10m"}})
    held = evaluate(event(type="it.outage"), book, NOON, lambda rule: history(rule=[3]))
    assert (held.code, held.incident_id) == ("rate_limited", "inc-r3")
    assert "activated 1 time in the last 10m (at most 1 per 10m)" in held.reason
    free = evaluate(event(type="it.outage"), book, NOON, lambda rule: history(rule=[11]))
    assert free.activate


def test_rules_without_limits_never_read_history() -> None:
    def no_reading(rule: Any) -> History:
        raise AssertionError("history read for a rule that does not use it")

    assert evaluate(event(type="it.outage"), playbook(OUTAGE), NOON, no_reading).activate


def test_the_example_playbook_activates_the_demo_crisis() -> None:
    demo = parse_event(json.loads((PROJECT / "examples" / "events" / "demo.json").read_text()))
    verdict = evaluate(demo, read_policy_dir(PROJECT / "policies").validate(), NOON)
    assert (verdict.rule_id, verdict.plan_id) == ("data-breach-50000", "crisis-cell")
