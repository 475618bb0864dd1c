"""Decide whether an event activates a response, and say why in words and in a code."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.core.model import CanonicalEvent
from chalicelib.core.policy import ActivationRule, Condition, Playbook

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Verdict:
    """The outcome of evaluating one event against the playbook.

    ``code`` is machine-readable (``matched``, ``no_rule_for_type``, ``below_severity``,
    ``status_not_covered``, ``below_threshold``, ``metric_missing``); ``reason`` is for people.
    """

    activate: bool
    code: str
    reason: str
    rule_id: str | None = None
    plan_id: str | None = None


def evaluate(event: CanonicalEvent, playbook: Playbook) -> Verdict:
    """The first rule (in playbook order) that the event fully satisfies activates.

    When none does, the reason comes from the rule that got furthest, so a near miss
    ("below threshold: affected_people 120 < 500") is reported rather than "no rule".
    """
    best_miss: tuple[int, Verdict] | None = None
    for rule in playbook.rules:
        depth, miss = _check(event, rule)
        if miss is None:
            return Verdict(
                activate=True,
                code="matched",
                reason=f"matched rule {rule.rule_id}",
                rule_id=rule.rule_id,
                plan_id=rule.plan_id,
            )
        if best_miss is None or depth > best_miss[0]:
            best_miss = (depth, miss)
    if best_miss is None or best_miss[0] == 0:
        return Verdict(
            activate=False,
            code="no_rule_for_type",
            reason=f"no activation rule matches type {event.type}",
        )
    return best_miss[1]


def matches_type(pattern: str, event_type: str) -> bool:
    """``cyber.*`` matches ``cyber.data_breach`` and ``cyber.x.y``; ``*`` matches everything."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def _check(event: CanonicalEvent, rule: ActivationRule) -> tuple[int, Verdict | None]:
    """How far the event got through the rule (0: not even its type), and why it stopped."""
    if not any(matches_type(pattern, event.type) for pattern in rule.types):
        return 0, _miss(
            rule, "no_rule_for_type", f"rule {rule.rule_id} does not cover {event.type}"
        )
    if event.status not in rule.statuses:
        return 1, _miss(
            rule,
            "status_not_covered",
            f"rule {rule.rule_id} does not activate on {event.status.value} events",
        )
    if event.severity.rank < rule.min_severity.rank:
        return 2, _miss(
            rule,
            "below_severity",
            f"below severity: {event.severity.value} < {rule.min_severity.value} "
            f"(rule {rule.rule_id})",
        )
    for condition in rule.conditions:
        failure = _failed_condition(event, condition)
        if failure is not None:
            code, reason = failure
            return 3, _miss(rule, code, f"{reason} (rule {rule.rule_id})")
    return 4, None


def _failed_condition(event: CanonicalEvent, condition: Condition) -> tuple[str, str] | None:
    actual = event.metrics.get(condition.metric)
    if actual is None:
        return (
            "metric_missing",
            f"metric missing: {condition.metric} (needs {condition.describe()})",
        )
    if _COMPARE[condition.op](actual, condition.value):
        return None
    shortfall = f"{condition.metric} {actual:g} {_negate(condition.op)} {condition.value:g}"
    return "below_threshold", f"below threshold: {shortfall}"


def _negate(op: str) -> str:
    return {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}[op]


def _miss(rule: ActivationRule, code: str, reason: str) -> Verdict:
    return Verdict(activate=False, code=code, reason=reason, rule_id=rule.rule_id)
