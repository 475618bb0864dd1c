"""Activation rules: which events start a response plan, and how often. Pure.

A rule matches on type, source, labels, status and severity, may add conditions on the event's
metrics and active hours, and limits how often it fires (dedup window, rate limit, flap damping).
:mod:`chalicelib.core.activation.decide` applies rules to events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    describe_duration,
    read_choice,
    read_count,
    read_duration,
    read_identifier,
    read_list,
    read_object,
    read_optional,
    read_string,
)
from chalicelib.core.model import CanonicalEvent, EventStatus, Severity
from chalicelib.core.playbook.conditions import Condition, parse_conditions
from chalicelib.core.playbook.hours import ActiveHours, parse_active_hours
from chalicelib.core.playbook.scopes import EventScope, parse_scope

DEFAULT_STATUSES = ("actual", "exercise")


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` activations of the rule per ``per``."""

    count: int
    per: timedelta

    def describe(self) -> str:
        return f"at most {self.count} per {describe_duration(self.per)}"


@dataclass(frozen=True)
class FlapDamping:
    """A dedup key that opened ``activations`` incidents within ``within`` is flapping."""

    activations: int
    within: timedelta


class OutsideHours(StrEnum):
    """What a rule does with an event outside its active hours (that no later rule takes)."""

    HOLD = "hold"  # decided when the window opens, unless resolved meanwhile
    DROP = "drop"  # suppressed (outside_time_window)


@dataclass(frozen=True)
class ActivationRule:
    rule_id: str
    description: str
    scope: EventScope
    min_severity: Severity
    statuses: tuple[EventStatus, ...]
    condition: Condition | None
    plan_id: str
    active: ActiveHours | None = None
    dedup_window: timedelta | None = None
    rate_limit: RateLimit | None = None
    flap: FlapDamping | None = None
    severity: Severity | None = None  # the incident's severity; None keeps the event's
    # Outside its active hours: hold the event until the window opens (or drop it, as before).
    outside_hours: OutsideHours = OutsideHours.HOLD

    @property
    def uses_history(self) -> bool:
        """Whether deciding needs what happened before (windows, limits, damping)."""
        return bool(self.dedup_window or self.rate_limit or self.flap)

    @property
    def history_span(self) -> timedelta:
        """How far back this rule looks into its own and its dedup keys' activations."""
        spans = [timedelta(0)]
        spans += [self.dedup_window] if self.dedup_window else []
        spans += [self.rate_limit.per] if self.rate_limit else []
        spans += [self.flap.within] if self.flap else []
        return max(spans)

    def severity_for(self, event: CanonicalEvent) -> Severity:
        return self.severity or event.severity


_ANY_TYPE: Mapping[str, Any] = {"types": ["*"]}
_NO_STATUSES: tuple[EventStatus, ...] = ()
_RULE_FIELDS = {
    "description",
    "conditions",
    "active",
    "outside_hours",
    "dedup_window",
    "rate_limit",
    "flap",
}


def parse_rule(document: Any, path: str, plan_ids: set[str]) -> ActivationRule:
    fields = read_object(
        document, path, required={"id", "match", "plan"}, optional=_RULE_FIELDS | {"severity"}
    )
    found = Collector()
    match = found.read(
        lambda: read_object(
            fields["match"],
            f"{path}.match",
            required={"types"},
            optional={"sources", "min_severity", "statuses", "labels"},
        ),
        _ANY_TYPE,
    )
    scope = found.read(lambda: _rule_scope(match, f"{path}.match"), EventScope())
    statuses = found.read(lambda: _statuses(match, f"{path}.match.statuses"), _NO_STATUSES)
    min_severity = found.read(
        lambda: read_choice(
            match.get("min_severity", "info"), f"{path}.match.min_severity", Severity
        ),
        Severity.INFO,
    )
    plan_id = found.read(lambda: _plan_reference(fields["plan"], f"{path}.plan", plan_ids), "")
    rule = ActivationRule(
        rule_id=found.read(lambda: read_identifier(fields["id"], f"{path}.id"), ""),
        description=found.read(
            lambda: read_string(fields.get("description", ""), f"{path}.description"), ""
        ),
        scope=scope,
        min_severity=min_severity,
        statuses=statuses,
        condition=found.read(
            lambda: parse_conditions(fields.get("conditions"), f"{path}.conditions"), None
        ),
        plan_id=plan_id,
        active=found.read(lambda: read_optional(fields, "active", path, parse_active_hours), None),
        outside_hours=found.read(
            lambda: read_choice(
                fields.get("outside_hours", "hold"), f"{path}.outside_hours", OutsideHours
            ),
            OutsideHours.HOLD,
        ),
        dedup_window=found.read(
            lambda: read_optional(fields, "dedup_window", path, read_duration), None
        ),
        rate_limit=found.read(
            lambda: read_optional(fields, "rate_limit", path, _parse_rate_limit), None
        ),
        flap=found.read(lambda: read_optional(fields, "flap", path, _parse_flap), None),
        severity=found.read(
            lambda: read_optional(
                fields, "severity", path, lambda v, p: read_choice(v, p, Severity)
            ),
            None,
        ),
    )
    found.check()
    return rule


def _rule_scope(match: Mapping[str, Any], path: str) -> EventScope:
    scope = parse_scope(match, path)
    if not scope.types:
        raise InvalidPolicy(f"{path}.types", "must name at least one event type (or '*')")
    return scope


def _statuses(match: Mapping[str, Any], path: str) -> tuple[EventStatus, ...]:
    statuses = tuple(
        read_choice(value, f"{path}[{index}]", EventStatus)
        for index, value in enumerate(
            read_list(match.get("statuses", list(DEFAULT_STATUSES)), path)
        )
    )
    if not statuses:
        raise InvalidPolicy(path, "must name at least one status")
    return statuses


def _plan_reference(value: Any, path: str, plan_ids: set[str]) -> str:
    plan_id = read_identifier(value, path)
    if plan_id not in plan_ids:
        raise InvalidPolicy(path, f"no response plan {plan_id!r}")
    return plan_id


def _parse_rate_limit(document: Any, path: str) -> RateLimit:
    fields = read_object(document, path, required={"count", "per"}, optional=set())
    return RateLimit(
        count=read_count(fields["count"], f"{path}.count"),
        per=read_duration(fields["per"], f"{path}.per"),
    )


def _parse_flap(document: Any, path: str) -> FlapDamping:
    fields = read_object(document, path, required={"activations", "within"}, optional=set())
    return FlapDamping(
        activations=read_count(fields["activations"], f"{path}.activations", minimum=2),
        within=read_duration(fields["within"], f"{path}.within"),
    )
