"""The playbook: activation rules, response plans, roles, teams, schedules, maintenance windows,
what Tocsin watches besides events (heartbeats, canaries) and settings (the message budget, the
price table and how long records are kept).

Documents come from ``policies/*.yaml`` (through the CLI's loader) or from DynamoDB (as JSON);
both go through :func:`parse_playbook`, so what is stored is exactly what was validated. Every
document is checked, and every error is reported with the path of the field at fault
(``rules[3].match.types[0]``), so one run of ``tocsin policies validate`` shows them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.fields import read_identifier, read_list, read_object, read_string
from chalicelib.core.model import CanonicalEvent
from chalicelib.core.playbook.audiences import Audience, parse_audience
from chalicelib.core.playbook.checklists import ChecklistItem, parse_role, role_sections
from chalicelib.core.playbook.drill_schedules import ScheduledDrill, parse_scheduled_drill
from chalicelib.core.playbook.escalations import EscalationPolicy, direct_policy, parse_escalation
from chalicelib.core.playbook.plans import ResponsePlan, parse_plan
from chalicelib.core.playbook.retention import Retention
from chalicelib.core.playbook.rotations import OnCallSchedule, parse_oncall
from chalicelib.core.playbook.rules import ActivationRule, parse_rule
from chalicelib.core.playbook.scopes import MaintenanceWindow, parse_maintenance
from chalicelib.core.playbook.settings import PlaybookSettings, parse_settings
from chalicelib.core.playbook.site import SiteSettings, check_site_audiences
from chalicelib.core.playbook.spending import Spending
from chalicelib.core.playbook.triggers import ScheduledTrigger, parse_schedule
from chalicelib.core.playbook.watching import Canary, Heartbeat, parse_canary, parse_heartbeat
from chalicelib.core.wording.templates import BUILT_IN, TemplateSet
from chalicelib.core.wording.validation import parse_template_set

SECTIONS = (
    "roles",
    "teams",
    "oncall",
    "escalations",
    "templates",
    "audiences",
    "plans",
    "rules",
    "schedules",
    "maintenance",
    "settings",
    "heartbeats",
    "canaries",
    "drills",
)
_T = TypeVar("_T")
_TYPE_INDEX_LIMIT = 4096  # distinct event types remembered per playbook


@dataclass(frozen=True)
class Playbook:
    rules: tuple[ActivationRule, ...]
    plans: Mapping[str, ResponsePlan]
    roles: Mapping[str, str]
    checklist: Mapping[str, ChecklistItem] = field(default_factory=dict)  # items by id
    teams: Mapping[str, str] = field(default_factory=dict)
    schedules: tuple[ScheduledTrigger, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    templates: Mapping[str, TemplateSet] = field(default_factory=dict)
    oncall: Mapping[str, OnCallSchedule] = field(default_factory=dict)
    escalations: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    spending: Spending = field(default_factory=Spending)  # the message budget and prices
    retention: Retention = field(default_factory=Retention)  # how long records are kept
    heartbeats: Mapping[str, Heartbeat] = field(default_factory=dict)
    canaries: tuple[Canary, ...] = ()
    drills: tuple[ScheduledDrill, ...] = ()  # drills repeated on a schedule
    audiences: Mapping[str, Audience] = field(default_factory=dict)  # who statements reach
    site: SiteSettings | None = None  # the dark site's settings (settings: site)
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

    def escalation(self, policy_id: str | None) -> EscalationPolicy | None:
        """A declared policy, or a direct one (``@role:hr``) for a target the playbook has."""
        if not policy_id:
            return None
        policy = self.escalations.get(policy_id) or direct_policy(policy_id)
        if policy is None or policy.policy_id in self.escalations:
            return policy
        target = policy.levels[0].targets[0]
        known = {"role": self.roles, "team": self.teams, "schedule": self.oncall}
        return policy if target.kind == "contact" or target.name in known[target.kind] else None

    def templates_for(self, plan_id: str) -> TemplateSet:
        """The plan's template set; the built-in English one when the playbook has none."""
        plan = self.plans.get(plan_id)
        return self.templates.get(plan.template if plan else "default", BUILT_IN)

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

    roles, checklist = role_sections(section("roles", parse_role, lambda r: r.role_id), errors)
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
    audiences = section("audiences", parse_audience, lambda audience: audience.audience_id)
    # What plans may name (valid or not: a broken document is reported once, where it is).
    named = tuple(
        _declared_ids(documents.get(name)) | ({"default"} if name == "templates" else set())
        for name in ("templates", "escalations", "audiences")
    )
    plans = section(
        "plans",
        lambda doc, path: parse_plan(
            doc, path, roles, teams, named[0], named[1], named[2], known["schedule"]
        ),
        lambda p: p.plan_id,
    )
    plan_ids = _declared_ids(documents.get("plans"))
    rules = section("rules", lambda doc, path: parse_rule(doc, path, plan_ids), lambda r: r.rule_id)
    schedules = section("schedules", parse_schedule, lambda schedule: schedule.schedule_id)
    rule_ids = _declared_ids(documents.get("rules"))
    maintenance = section(
        "maintenance",
        lambda doc, path: _checked_window(parse_maintenance(doc, path), path, rule_ids),
        lambda window: window.window_id,
    )
    settings = _settings(documents.get("settings", []), roles, audiences, errors)
    heartbeats = section("heartbeats", parse_heartbeat, lambda beat: beat.heartbeat_id)
    canaries = section("canaries", parse_canary, lambda canary: canary.canary_id)
    drills = section(
        "drills",
        lambda doc, path: parse_scheduled_drill(doc, path, plan_ids, roles, teams),
        lambda drill: drill.drill_id,
    )
    if errors:
        raise InvalidPolicies(errors)
    return Playbook(
        rules=tuple(rules),
        plans={plan.plan_id: plan for plan in plans},
        roles=roles,
        checklist=checklist,
        teams=teams,
        schedules=tuple(schedules),
        maintenance=tuple(maintenance),
        templates={template.template_id: template for template in templates},
        oncall={schedule.schedule_id: schedule for schedule in oncall},
        escalations={policy.policy_id: policy for policy in escalations},
        spending=settings.spending,
        retention=settings.retention,
        heartbeats={beat.heartbeat_id: beat for beat in heartbeats},
        canaries=tuple(canaries),
        drills=tuple(drills),
        audiences={audience.audience_id: audience for audience in audiences},
        site=settings.site,
        version=version,
    )


def _settings(
    documents: Any,
    roles: Mapping[str, str],
    audiences: Sequence[Audience],
    errors: list[InvalidPolicy],
) -> PlaybookSettings:
    """The settings section, and the dark site's checked against the audiences it serves."""
    try:
        settings = parse_settings(read_list(documents, "settings"), roles)
    except InvalidPolicies as invalid:
        errors.extend(invalid.errors)
        return PlaybookSettings()
    except InvalidPolicy as invalid:
        errors.append(invalid)
        return PlaybookSettings()
    errors.extend(check_site_audiences(settings.site, audiences))
    return settings


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


def _checked_window(window: MaintenanceWindow, path: str, rule_ids: set[str]) -> MaintenanceWindow:
    for index, rule_id in enumerate(window.rules):
        if rule_id not in rule_ids:
            raise InvalidPolicy(f"{path}.rules[{index}]", f"no activation rule {rule_id!r}")
    return window
