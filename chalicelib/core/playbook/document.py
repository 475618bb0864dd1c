"""The playbook: activation rules, response plans, roles, teams, schedules and maintenance windows.

Documents come from ``policies/*.yaml`` (through the CLI's loader) or from DynamoDB (as JSON);
both go through :func:`parse_playbook`, so what is stored is exactly what was validated. Every
document is checked, and every error is reported with the path of the field at fault
(``rules[3].match.types[0]``), so one run of ``tocsin policies validate`` shows them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    describe_duration,
    read_choice,
    read_count,
    read_duration,
    read_identifier,
    read_list,
    read_object,
    read_string,
)
from chalicelib.core.model import CanonicalEvent, Channel, EventStatus, Severity
from chalicelib.core.playbook.conditions import Condition, parse_conditions
from chalicelib.core.playbook.escalations import EscalationPolicy, parse_escalation
from chalicelib.core.playbook.rotations import OnCallSchedule, parse_oncall
from chalicelib.core.playbook.scopes import (
    ActiveHours,
    EventScope,
    MaintenanceWindow,
    parse_active_hours,
    parse_maintenance,
    parse_scope,
)
from chalicelib.core.playbook.triggers import ScheduledTrigger, parse_schedule
from chalicelib.core.wording.templates import BUILT_IN, TemplateSet, parse_template_set

SECTIONS = (
    "roles",
    "teams",
    "oncall",
    "escalations",
    "templates",
    "plans",
    "rules",
    "schedules",
    "maintenance",
)
DEFAULT_STATUSES = ("actual", "exercise")
_T = TypeVar("_T")
_TYPE_INDEX_LIMIT = 4096  # distinct event types remembered per playbook


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


@dataclass(frozen=True)
class PlanTarget:
    """Everyone holding ``role`` (or in ``team``) is reached on each of ``channels`` at once;
    with ``chain``, on its first channel that works for them, falling back along it."""

    channels: tuple[Channel, ...]
    role: str | None = None
    team: str | None = None
    chain: bool = False  # True: ``channels`` is a fallback chain, not a list to send on

    @property
    def group(self) -> str:
        return f"role {self.role}" if self.role else f"team {self.team}"


@dataclass(frozen=True)
class ManualActivation:
    """Who may start a plan by hand, and who must approve it first (the two-person rule)."""

    roles: tuple[str, ...]
    approver_roles: tuple[str, ...] = ()

    @property
    def needs_approval(self) -> bool:
        return bool(self.approver_roles)


@dataclass(frozen=True)
class ResponsePlan:
    plan_id: str
    title: str
    targets: tuple[PlanTarget, ...]
    manual: ManualActivation | None = None
    template: str = "default"  # the template set its messages use
    inform_stakeholders: bool = False  # also broadcast one statement to the stakeholder topic
    escalation: str | None = None  # the escalation policy that pages responders level by level

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.role for t in self.targets if t.role))

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.team for t in self.targets if t.team))


@dataclass(frozen=True)
class Playbook:
    rules: tuple[ActivationRule, ...]
    plans: Mapping[str, ResponsePlan]
    roles: Mapping[str, str]
    teams: Mapping[str, str] = field(default_factory=dict)
    schedules: tuple[ScheduledTrigger, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    templates: Mapping[str, TemplateSet] = field(default_factory=dict)
    oncall: Mapping[str, OnCallSchedule] = field(default_factory=dict)
    escalations: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    version: int = 0  # set by the store: 0 for a playbook that was never applied
    _by_type: dict[str, tuple[ActivationRule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def rules_for_type(self, event_type: str) -> tuple[ActivationRule, ...]:
        """The rules whose types cover ``event_type``, in playbook order (memoised per type:
        with a thousand rules, an event visits only the few that could match)."""
        rules = self._by_type.get(event_type)
        if rules is None:
            rules = tuple(rule for rule in self.rules if rule.scope.covers_type(event_type))
            if len(self._by_type) < _TYPE_INDEX_LIMIT:
                self._by_type[event_type] = rules
        return rules

    def plan(self, plan_id: str) -> ResponsePlan:
        return self.plans[plan_id]

    def templates_for(self, plan_id: str) -> TemplateSet:
        """The plan's template set; the built-in English one when the playbook has none."""
        plan = self.plans.get(plan_id)
        return self.templates.get(plan.template if plan else "default", BUILT_IN)

    def escalation_for(self, plan_id: str) -> EscalationPolicy | None:
        plan = self.plans.get(plan_id)
        return self.escalations.get(plan.escalation) if plan and plan.escalation else None

    def rule(self, rule_id: str) -> ActivationRule | None:
        return next((rule for rule in self.rules if rule.rule_id == rule_id), None)

    def maintenance_covering(
        self, event: CanonicalEvent, rule_id: str, at: datetime
    ) -> MaintenanceWindow | None:
        return next((w for w in self.maintenance if w.covers(event, rule_id, at)), None)


def parse_playbook(documents: Mapping[str, Sequence[Any]], version: int = 0) -> Playbook:
    """Validate every section together (references must resolve); all errors at once."""
    unknown = sorted(set(documents) - set(SECTIONS))
    if unknown:
        raise InvalidPolicy(unknown[0], f"unknown section; expected {', '.join(SECTIONS)}")
    errors: list[InvalidPolicy] = []

    def section(name: str, parse: Callable[[Any, str], _T], key: Callable[[_T], str]) -> list[_T]:
        try:
            items = read_list(documents.get(name, []), name)
        except InvalidPolicy as error:
            errors.append(error)
            return []
        parsed: dict[str, _T] = {}
        for index, document in enumerate(items):
            path = f"{name}[{index}]"
            try:
                value = parse(document, path)
            except InvalidPolicies as invalid:
                errors.extend(invalid.errors)
                continue
            except InvalidPolicy as invalid:
                errors.append(invalid)
                continue
            if key(value) in parsed:
                errors.append(InvalidPolicy(f"{path}.id", f"duplicate id {key(value)!r}"))
            parsed.setdefault(key(value), value)
        return list(parsed.values())

    roles = dict(section("roles", _parse_named, lambda item: item[0]))
    teams = dict(section("teams", _parse_named, lambda item: item[0]))
    oncall = section("oncall", parse_oncall, lambda schedule: schedule.schedule_id)
    known = {
        "role": set(roles),
        "team": set(teams),
        "schedule": _declared_ids(documents.get("oncall")),
    }
    escalations = section(
        "escalations",
        lambda doc, path: parse_escalation(doc, path, known),
        lambda policy: policy.policy_id,
    )
    templates = section("templates", parse_template_set, lambda t: t.template_id)
    template_ids = _declared_ids(documents.get("templates")) | {"default"}
    escalation_ids = _declared_ids(documents.get("escalations"))
    plans = section(
        "plans",
        lambda doc, path: _parse_plan(doc, path, roles, teams, template_ids, escalation_ids),
        lambda p: p.plan_id,
    )
    plan_ids = _declared_ids(documents.get("plans"))
    rules = section(
        "rules", lambda doc, path: _parse_rule(doc, path, plan_ids), lambda r: r.rule_id
    )
    schedules = section("schedules", parse_schedule, lambda schedule: schedule.schedule_id)
    rule_ids = _declared_ids(documents.get("rules"))
    maintenance = section(
        "maintenance",
        lambda doc, path: _checked_window(parse_maintenance(doc, path), path, rule_ids),
        lambda window: window.window_id,
    )
    if errors:
        raise InvalidPolicies(errors)
    return Playbook(
        rules=tuple(rules),
        plans={plan.plan_id: plan for plan in plans},
        roles=roles,
        teams=teams,
        schedules=tuple(schedules),
        maintenance=tuple(maintenance),
        templates={template.template_id: template for template in templates},
        oncall={schedule.schedule_id: schedule for schedule in oncall},
        escalations={policy.policy_id: policy for policy in escalations},
        version=version,
    )


def _declared_ids(documents: Any) -> set[str]:
    """The ids the documents declare, valid or not, so that one broken document is reported
    once, not again by everything that refers to it."""
    if not isinstance(documents, list | tuple):
        return set()
    return {str(doc["id"]) for doc in documents if isinstance(doc, Mapping) and "id" in doc}


def _parse_named(document: Any, path: str) -> tuple[str, str]:
    fields = read_object(document, path, required={"id"}, optional={"description"})
    return (
        read_identifier(fields["id"], f"{path}.id"),
        read_string(fields.get("description", ""), f"{path}.description"),
    )


def _parse_plan(
    document: Any,
    path: str,
    roles: Mapping[str, str],
    teams: Mapping[str, str],
    template_ids: set[str],
    escalation_ids: set[str],
) -> ResponsePlan:
    fields = read_object(
        document,
        path,
        required={"id", "title"},
        optional={"notify", "manual", "template", "inform_stakeholders", "escalation"},
    )
    found = Collector()
    targets: list[PlanTarget | None] = []
    no_targets: Sequence[Any] = []
    for index, target in enumerate(
        found.read(lambda: read_list(fields.get("notify", []), f"{path}.notify"), no_targets)
    ):
        where = f"{path}.notify[{index}]"
        targets.append(found.read(partial(_parse_target, target, where, roles, teams), None))
    escalation = found.read(
        lambda: _optional(
            fields, "escalation", path, lambda v, p: _known(v, p, escalation_ids, "escalation")
        ),
        None,
    )
    if not targets and escalation is None and not found.errors:
        found.errors.append(
            InvalidPolicy(f"{path}.notify", "must name a role or team, or give an escalation")
        )
    plan = ResponsePlan(
        plan_id=found.read(lambda: read_identifier(fields["id"], f"{path}.id"), ""),
        title=found.read(lambda: read_string(fields["title"], f"{path}.title"), ""),
        targets=tuple(target for target in targets if target is not None),
        manual=found.read(
            lambda: _optional(fields, "manual", path, lambda v, p: _parse_manual(v, p, roles)),
            None,
        ),
        template=found.read(
            lambda: _known_template(fields.get("template", "default"), path, template_ids),
            "default",
        ),
        inform_stakeholders=found.read(
            lambda: _flag(fields.get("inform_stakeholders", False), f"{path}.inform_stakeholders"),
            False,
        ),
        escalation=escalation,
    )
    found.check()
    return plan


def _person_channel(value: Any, path: str) -> Channel:
    channel = read_choice(value, path, Channel)
    if channel is Channel.BROADCAST:
        raise InvalidPolicy(path, "broadcast reaches a topic, not people: use inform_stakeholders")
    return channel


def _flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidPolicy(path, "must be true or false")
    return value


def _known_template(value: Any, path: str, template_ids: set[str]) -> str:
    template_id = read_identifier(value, f"{path}.template")
    if template_id not in template_ids:
        raise InvalidPolicy(f"{path}.template", f"no template set {template_id!r}")
    return template_id


def _parse_target(
    document: Any, where: str, roles: Mapping[str, str], teams: Mapping[str, str]
) -> PlanTarget:
    spec = read_object(
        document, where, required=set(), optional={"role", "team", "channels", "chain"}
    )
    if ("role" in spec) == ("team" in spec):
        raise InvalidPolicy(where, "must name exactly one of role or team")
    if ("channels" in spec) == ("chain" in spec):
        raise InvalidPolicy(where, "must give channels (all at once) or a chain (in order)")
    field_name = "chain" if "chain" in spec else "channels"
    role = _known(spec["role"], f"{where}.role", roles, "role") if "role" in spec else None
    team = _known(spec["team"], f"{where}.team", teams, "team") if "team" in spec else None
    channels = tuple(
        _person_channel(channel, f"{where}.{field_name}[{position}]")
        for position, channel in enumerate(read_list(spec[field_name], f"{where}.{field_name}"))
    )
    if not channels:
        raise InvalidPolicy(f"{where}.{field_name}", "must name at least one channel")
    if len(set(channels)) != len(channels):
        raise InvalidPolicy(f"{where}.{field_name}", "names a channel twice")
    return PlanTarget(channels=channels, role=role, team=team, chain=field_name == "chain")


def _parse_manual(document: Any, path: str, roles: Mapping[str, str]) -> ManualActivation:
    fields = read_object(document, path, required={"roles"}, optional={"approval"})
    allowed = tuple(
        _known(role, f"{path}.roles[{index}]", roles, "role")
        for index, role in enumerate(read_list(fields["roles"], f"{path}.roles"))
    )
    if not allowed:
        raise InvalidPolicy(f"{path}.roles", "must name at least one role")
    approval = fields.get("approval")
    approvers: tuple[str, ...] = ()
    if approval is not None:
        spec = read_object(approval, f"{path}.approval", required={"roles"}, optional=set())
        approvers = tuple(
            _known(role, f"{path}.approval.roles[{index}]", roles, "role")
            for index, role in enumerate(read_list(spec["roles"], f"{path}.approval.roles"))
        )
        if not approvers:
            raise InvalidPolicy(f"{path}.approval.roles", "must name at least one role")
    return ManualActivation(roles=allowed, approver_roles=approvers)


_ANY_TYPE: Mapping[str, Any] = {"types": ["*"]}
_NO_STATUSES: tuple[EventStatus, ...] = ()
_RULE_FIELDS = {"description", "conditions", "active", "dedup_window", "rate_limit", "flap"}


def _parse_rule(document: Any, path: str, plan_ids: set[str]) -> ActivationRule:
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
        active=found.read(lambda: _optional(fields, "active", path, parse_active_hours), None),
        dedup_window=found.read(
            lambda: _optional(fields, "dedup_window", path, read_duration), None
        ),
        rate_limit=found.read(
            lambda: _optional(fields, "rate_limit", path, _parse_rate_limit), None
        ),
        flap=found.read(lambda: _optional(fields, "flap", path, _parse_flap), None),
        severity=found.read(
            lambda: _optional(fields, "severity", path, lambda v, p: read_choice(v, p, Severity)),
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


def _optional(
    fields: Mapping[str, Any], name: str, path: str, parse: Callable[[Any, str], _T]
) -> _T | None:
    return parse(fields[name], f"{path}.{name}") if fields.get(name) is not None else None


def _known(value: Any, path: str, known: Mapping[str, str] | set[str], kind: str) -> str:
    identifier = read_identifier(value, path)
    if identifier not in known:
        raise InvalidPolicy(path, f"unknown {kind} {identifier!r}")
    return identifier


def _checked_window(window: MaintenanceWindow, path: str, rule_ids: set[str]) -> MaintenanceWindow:
    for index, rule_id in enumerate(window.rules):
        if rule_id not in rule_ids:
            raise InvalidPolicy(f"{path}.rules[{index}]", f"no activation rule {rule_id!r}")
    return window
