"""Decide whether an event activates a response, and say why in words and in a code.

Pure: the same event, playbook, instant and history always give the same verdict. Two steps:

1. :func:`match` finds the first rule (in playbook order) the event fully satisfies: type, source,
   labels, status, severity, metric conditions, active hours. A maintenance window covering that
   rule's match suppresses it. When no rule matches, the reason comes from the rule that got
   furthest, so a near miss ("below threshold: affected_people 120 < 500") is reported.
2. :func:`admit` applies what the matched rule says about the past: the dedup window, flap
   damping and its rate limit, from a :class:`History` the caller read from storage.

Verdict codes: ``matched``; ``no_rule_for_type``, ``source_not_covered``, ``label_mismatch``,
``status_not_covered``, ``below_severity``, ``below_threshold``, ``metric_missing``,
``outside_time_window`` (no rule matched); ``held`` (no rule matched now, but one will when its
active hours open: decided then, at ``decide_at``); ``maintenance``, ``duplicate``, ``flapping``,
``rate_limited`` (a rule matched and was held back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.fields import describe_duration
from chalicelib.core.model import CanonicalEvent
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.rules import ActivationRule, OutsideHours
from chalicelib.core.verdicts import NO_HISTORY, Activation, History, Verdict

__all__ = ["admit", "evaluate", "match"]


def evaluate(
    event: CanonicalEvent,
    playbook: Playbook,
    at: datetime,
    history: Callable[[ActivationRule], History] = lambda rule: NO_HISTORY,
) -> Verdict:
    """:func:`match`, then :func:`admit` with the history of the matched rule."""
    verdict = match(event, playbook, at)
    rule = playbook.rule(verdict.rule_id) if verdict.activate and verdict.rule_id else None
    if rule is None:
        return verdict
    return admit(verdict, rule, history(rule) if rule.uses_history else NO_HISTORY, at)


def match(event: CanonicalEvent, playbook: Playbook, at: datetime) -> Verdict:
    best_miss: tuple[int, Verdict] | None = None
    # Rules that do not cover the type stop at depth 0 and can never be the best near miss,
    # so only the candidates for this type are checked.
    for rule in playbook.rules_for_type(event.type):
        depth, miss = _check(event, rule, at)
        if miss is None:
            window = playbook.maintenance_covering(event, rule.rule_id, at)
            if window is not None:
                return _miss(
                    rule,
                    "maintenance",
                    f"suppressed by maintenance window {window.window_id} "
                    f"(until {window.end.isoformat()}; rule {rule.rule_id})",
                )
            return Verdict(
                activate=True,
                code="matched",
                reason=f"matched rule {rule.rule_id}",
                rule_id=rule.rule_id,
                plan_id=rule.plan_id,
                severity=rule.severity_for(event),
            )
        # A tie goes to the later rule: rules go from the highest bar down, and the lowest bar
        # missed ("120 < 500" rather than "120 < 50000") is the near miss worth reporting.
        if best_miss is None or depth >= best_miss[0]:
            best_miss = (depth, miss)
    if best_miss is None or best_miss[0] == 0:
        return Verdict(
            activate=False,
            code="no_rule_for_type",
            reason=f"no activation rule matches type {event.type}",
        )
    return best_miss[1]


def admit(verdict: Verdict, rule: ActivationRule, history: History, at: datetime) -> Verdict:
    """Hold a matched event back when the rule's dedup window, flap damping or rate limit say so
    (checked in that order; the first that holds wins)."""
    for guard in _guards(rule, history, at):
        if len(guard.recent) >= guard.limit:
            latest = max(guard.recent, key=lambda activation: activation.at)
            reason = guard.reason(len(guard.recent), latest)
            return _held(rule, guard.code, reason, latest.incident_id)
    return verdict


@dataclass(frozen=True)
class _Guard:
    """One of a rule's limits on the past: held back once ``recent`` holds ``limit``."""

    code: str
    recent: list[Activation]
    limit: int
    reason: Callable[[int, Activation], str]  # (how many recent activations, the latest)


def _guards(rule: ActivationRule, history: History, at: datetime) -> Iterator[_Guard]:
    if rule.dedup_window is not None:
        window = rule.dedup_window
        yield _Guard(
            "duplicate",
            history.key_since(at - window),
            1,
            lambda _, latest: (
                f"duplicate of incident {latest.incident_id} (opened "
                f"{_ago(at - latest.at)} ago, within the {describe_duration(window)} dedup window)"
            ),
        )
    if rule.flap is not None:
        flap = rule.flap
        yield _Guard(
            "flapping",
            history.key_since(at - flap.within),
            flap.activations,
            lambda count, latest: (
                f"flapping: {count} incidents for this dedup key in the last "
                f"{describe_duration(flap.within)} (damped at {flap.activations}); "
                f"latest is {latest.incident_id}"
            ),
        )
    if rule.rate_limit is not None:
        limit = rule.rate_limit
        yield _Guard(
            "rate_limited",
            history.rule_since(at - limit.per),
            limit.count,
            lambda count, latest: (
                f"rate limited: rule {rule.rule_id} activated {count} time"
                f"{'s' if count != 1 else ''} in the last {describe_duration(limit.per)} "
                f"({limit.describe()}); latest incident {latest.incident_id}"
            ),
        )


def _check(event: CanonicalEvent, rule: ActivationRule, at: datetime) -> tuple[int, Verdict | None]:
    """How far the event got through the rule (0: not even its type), and why it stopped."""
    scope = rule.scope
    if not scope.covers_type(event.type):
        return 0, _miss(
            rule, "no_rule_for_type", f"rule {rule.rule_id} does not cover {event.type}"
        )
    if not scope.covers_source(event.source):
        return 1, _miss(
            rule,
            "source_not_covered",
            f"source {event.source} is not one of {', '.join(scope.sources)} (rule {rule.rule_id})",
        )
    mismatch = scope.labels.first_mismatch(event.labels)
    if mismatch is not None:
        return 2, _miss(rule, "label_mismatch", f"{mismatch} (rule {rule.rule_id})")
    if event.status not in rule.statuses:
        return 3, _miss(
            rule,
            "status_not_covered",
            f"rule {rule.rule_id} does not activate on {event.status.value} events",
        )
    if event.severity.rank < rule.min_severity.rank:
        return 4, _miss(
            rule,
            "below_severity",
            f"below severity: {event.severity.value} < {rule.min_severity.value} "
            f"(rule {rule.rule_id})",
        )
    if rule.condition is not None:
        failure = rule.condition.check(event.metrics)
        if failure is not None:
            return 5, _miss(rule, failure.code, f"{failure.reason} (rule {rule.rule_id})")
    if rule.active is not None and not rule.active.contains(at):
        hours = rule.active.describe()
        if rule.outside_hours is OutsideHours.HOLD:
            opens = rule.active.next_open(at)
            return 6, Verdict(
                activate=False,
                code="held",
                reason=f"held until {opens.isoformat()}: rule {rule.rule_id} is active {hours}",
                rule_id=rule.rule_id,
                plan_id=rule.plan_id,
                decide_at=opens,
            )
        return 6, _miss(
            rule,
            "outside_time_window",
            f"outside time window: rule {rule.rule_id} is active {hours}",
        )
    return 7, None


def _miss(rule: ActivationRule, code: str, reason: str) -> Verdict:
    return Verdict(activate=False, code=code, reason=reason, rule_id=rule.rule_id)


def _held(rule: ActivationRule, code: str, reason: str, incident_id: str) -> Verdict:
    return Verdict(
        activate=False,
        code=code,
        reason=reason,
        rule_id=rule.rule_id,
        plan_id=rule.plan_id,
        incident_id=incident_id,
    )


def _ago(elapsed: timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
