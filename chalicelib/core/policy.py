"""The playbook: activation rules, response plans and roles, parsed from plain documents.

Documents come from ``policies/*.yaml`` (through the loader) or from DynamoDB (as JSON); both
go through :func:`parse_playbook`, so what is stored is exactly what was validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.model import Channel, EventStatus, Severity
from chalicelib.core.schedules import ScheduledTrigger, parse_schedule

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_TYPE_PATTERN = re.compile(r"(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*)?)")
_C = TypeVar("_C", Channel, EventStatus, Severity)
COMPARISONS = (">=", ">", "<=", "<", "==", "!=")


@dataclass(frozen=True)
class Condition:
    """A comparison of one event metric against a threshold, e.g. ``affected_people >= 500``."""

    metric: str
    op: str
    value: float

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class ActivationRule:
    rule_id: str
    description: str
    types: tuple[str, ...]
    min_severity: Severity
    statuses: tuple[EventStatus, ...]
    conditions: tuple[Condition, ...]
    plan_id: str


@dataclass(frozen=True)
class PlanTarget:
    """Everyone holding ``role`` is reached on each of ``channels``."""

    role: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class ResponsePlan:
    plan_id: str
    title: str
    targets: tuple[PlanTarget, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(target.role for target in self.targets))


@dataclass(frozen=True)
class Playbook:
    rules: tuple[ActivationRule, ...]
    plans: Mapping[str, ResponsePlan]
    roles: Mapping[str, str]
    schedules: tuple[ScheduledTrigger, ...] = ()

    def plan(self, plan_id: str) -> ResponsePlan:
        return self.plans[plan_id]


def parse_playbook(
    rules: Sequence[Any],
    plans: Sequence[Any],
    roles: Sequence[Any],
    schedules: Sequence[Any] = (),
) -> Playbook:
    """Validate the documents together (references must resolve)."""
    parsed_roles = _parse_roles(roles)
    parsed_plans = {}
    for index, document in enumerate(_list(plans, "plans")):
        plan = _parse_plan(document, f"plans[{index}]", parsed_roles)
        if plan.plan_id in parsed_plans:
            raise InvalidPolicy(f"plans[{index}].id", f"duplicate plan id {plan.plan_id!r}")
        parsed_plans[plan.plan_id] = plan
    parsed_rules: list[ActivationRule] = []
    for index, document in enumerate(_list(rules, "rules")):
        rule = _parse_rule(document, f"rules[{index}]")
        if rule.plan_id not in parsed_plans:
            raise InvalidPolicy(f"rules[{index}].plan", f"no response plan {rule.plan_id!r}")
        if any(existing.rule_id == rule.rule_id for existing in parsed_rules):
            raise InvalidPolicy(f"rules[{index}].id", f"duplicate rule id {rule.rule_id!r}")
        parsed_rules.append(rule)
    parsed_schedules: list[ScheduledTrigger] = []
    for index, document in enumerate(_list(schedules, "schedules")):
        schedule = parse_schedule(document, f"schedules[{index}]")
        if any(known.schedule_id == schedule.schedule_id for known in parsed_schedules):
            raise InvalidPolicy(
                f"schedules[{index}].id", f"duplicate schedule id {schedule.schedule_id!r}"
            )
        parsed_schedules.append(schedule)
    return Playbook(
        rules=tuple(parsed_rules),
        plans=parsed_plans,
        roles=parsed_roles,
        schedules=tuple(parsed_schedules),
    )


def _parse_roles(documents: Sequence[Any]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for index, document in enumerate(_list(documents, "roles")):
        path = f"roles[{index}]"
        fields = _object(document, path, required={"id"}, optional={"description"})
        role_id = _identifier(fields["id"], f"{path}.id")
        if role_id in roles:
            raise InvalidPolicy(f"{path}.id", f"duplicate role id {role_id!r}")
        roles[role_id] = _string(fields.get("description", ""), f"{path}.description")
    return roles


def _parse_plan(document: Any, path: str, roles: Mapping[str, str]) -> ResponsePlan:
    fields = _object(document, path, required={"id", "title", "notify"}, optional=set())
    targets = []
    for index, target in enumerate(_list(fields["notify"], f"{path}.notify")):
        where = f"{path}.notify[{index}]"
        target_fields = _object(target, where, required={"role", "channels"}, optional=set())
        role = _identifier(target_fields["role"], f"{where}.role")
        if role not in roles:
            raise InvalidPolicy(f"{where}.role", f"unknown role {role!r}")
        channels = tuple(
            _choice(channel, f"{where}.channels[{position}]", Channel)
            for position, channel in enumerate(
                _list(target_fields["channels"], f"{where}.channels")
            )
        )
        if not channels:
            raise InvalidPolicy(f"{where}.channels", "must name at least one channel")
        targets.append(PlanTarget(role=role, channels=channels))
    if not targets:
        raise InvalidPolicy(f"{path}.notify", "must name at least one role")
    return ResponsePlan(
        plan_id=_identifier(fields["id"], f"{path}.id"),
        title=_string(fields["title"], f"{path}.title"),
        targets=tuple(targets),
    )


def _parse_rule(document: Any, path: str) -> ActivationRule:
    fields = _object(
        document, path, required={"id", "match", "plan"}, optional={"description", "conditions"}
    )
    match = _object(
        fields["match"], f"{path}.match", required={"types"}, optional={"min_severity", "statuses"}
    )
    types = tuple(
        _type_pattern(value, f"{path}.match.types[{index}]")
        for index, value in enumerate(_list(match["types"], f"{path}.match.types"))
    )
    if not types:
        raise InvalidPolicy(f"{path}.match.types", "must name at least one event type")
    statuses = tuple(
        _choice(value, f"{path}.match.statuses[{index}]", EventStatus)
        for index, value in enumerate(
            _list(match.get("statuses", ["actual", "exercise"]), f"{path}.match.statuses")
        )
    )
    conditions = tuple(
        _parse_condition(value, f"{path}.conditions[{index}]")
        for index, value in enumerate(_list(fields.get("conditions", []), f"{path}.conditions"))
    )
    return ActivationRule(
        rule_id=_identifier(fields["id"], f"{path}.id"),
        description=_string(fields.get("description", ""), f"{path}.description"),
        types=types,
        min_severity=_choice(
            match.get("min_severity", "info"), f"{path}.match.min_severity", Severity
        ),
        statuses=statuses,
        conditions=conditions,
        plan_id=_identifier(fields["plan"], f"{path}.plan"),
    )


def _parse_condition(document: Any, path: str) -> Condition:
    fields = _object(document, path, required={"metric", "op", "value"}, optional=set())
    op = fields["op"]
    if op not in COMPARISONS:
        raise InvalidPolicy(f"{path}.op", f"must be one of {' '.join(COMPARISONS)}; got {op!r}")
    value = fields["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPolicy(f"{path}.value", "must be a number")
    return Condition(metric=_string(fields["metric"], f"{path}.metric"), op=op, value=float(value))


def _object(document: Any, path: str, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(document, Mapping):
        raise InvalidPolicy(path, "must be a mapping")
    for name in sorted(required):
        if name not in document:
            raise InvalidPolicy(f"{path}.{name}", "is required")
    unknown = sorted(set(document) - required - optional)
    if unknown:
        raise InvalidPolicy(f"{path}.{unknown[0]}", "unknown field")
    return document


def _list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidPolicy(path, "must be a list")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidPolicy(path, "must be a string")
    return value


def _identifier(value: Any, path: str) -> str:
    text = _string(value, path)
    if not _ID.fullmatch(text):
        raise InvalidPolicy(path, f"{text!r} is not an id (lower-case letters, digits, '-')")
    return text


def _type_pattern(value: Any, path: str) -> str:
    text = _string(value, path)
    if not _TYPE_PATTERN.fullmatch(text):
        raise InvalidPolicy(path, f"{text!r} is not an event type or a pattern such as 'cyber.*'")
    return text


def _choice(value: Any, path: str, kind: type[_C]) -> _C:
    allowed = ", ".join(member.value for member in kind)
    if not isinstance(value, str):
        raise InvalidPolicy(path, f"must be one of {allowed}")
    try:
        return kind(value)
    except ValueError:
        raise InvalidPolicy(path, f"must be one of {allowed}; got {value!r}") from None
