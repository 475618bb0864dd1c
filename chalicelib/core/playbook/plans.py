"""Response plans: who a plan reaches on which channels, who may start it by hand, and the
check-in ("are you safe?") it starts when it activates. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy, InvalidRequest
from chalicelib.core.fields import (
    Collector,
    read_choice,
    read_identifier,
    read_known,
    read_list,
    read_object,
    read_optional,
    read_string,
)
from chalicelib.core.model import Channel
from chalicelib.core.playbook.audiences import StatementPolicy, parse_statement_policy
from chalicelib.core.playbook.checkin_request import CheckinRequest, parse_checkin_request
from chalicelib.core.playbook.gates import Gate, parse_gate


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
class ManualPolicy:
    """Who may start a plan by hand, and who must approve it first (the two-person rule)."""

    roles: tuple[str, ...]
    approval: Gate | None = None  # the two-person rule: the gate on activations by hand

    @property
    def approver_roles(self) -> tuple[str, ...]:
        return self.approval.roles if self.approval else ()


@dataclass(frozen=True)
class ResponsePlan:
    plan_id: str
    title: str
    targets: tuple[PlanTarget, ...]
    manual: ManualPolicy | None = None
    template: str = "default"  # the template set its messages use
    escalation: str | None = None  # the escalation policy that pages responders level by level
    statements: StatementPolicy | None = None  # the audiences it speaks to, and who approves
    approval: Gate | None = None  # the verification gate on every activation
    checkin: CheckinRequest | None = field(default=None, hash=False)  # asked when it activates

    def gate(self, by_hand: bool) -> Gate | None:
        """What an activation must pass before the plan pages anyone: the plan's gate, else
        (by hand) the two-person rule."""
        if self.approval is not None:
            return self.approval
        return self.manual.approval if by_hand and self.manual else None

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.role for t in self.targets if t.role))

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.team for t in self.targets if t.team))


def parse_plan(
    document: Any,
    path: str,
    roles: Mapping[str, str],
    teams: Mapping[str, str],
    template_ids: set[str],
    escalation_ids: set[str],
    audience_ids: Set[str] = frozenset(),
    schedule_ids: Collection[str] = (),
) -> ResponsePlan:
    if isinstance(document, Mapping) and "inform_stakeholders" in document:
        raise InvalidPolicy(
            f"{path}.inform_stakeholders",
            "was replaced by statements: name the plan's audiences under 'statements' "
            "(policies/README.md); nothing reaches an audience until people approve it",
        )
    fields = read_object(
        document,
        path,
        required={"id", "title"},
        optional={
            "notify",
            "manual",
            "template",
            "escalation",
            "statements",
            "approval",
            "checkin",
        },
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
        lambda: read_optional(
            fields, "escalation", path, lambda v, p: read_known(v, p, escalation_ids, "escalation")
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
            lambda: read_optional(fields, "manual", path, lambda v, p: _parse_manual(v, p, roles)),
            None,
        ),
        template=found.read(
            lambda: _known_template(fields.get("template", "default"), path, template_ids),
            "default",
        ),
        escalation=escalation,
        approval=found.read(
            lambda: read_optional(fields, "approval", path, lambda v, p: parse_gate(v, p, roles)),
            None,
        ),
        statements=found.read(
            lambda: read_optional(
                fields,
                "statements",
                path,
                lambda v, p: parse_statement_policy(v, p, roles, set(audience_ids)),
            ),
            None,
        ),
        checkin=found.read(
            lambda: read_optional(
                fields,
                "checkin",
                path,
                lambda v, p: _parse_checkin(
                    v, p, {"role": roles, "team": teams, "schedule": schedule_ids}, escalation_ids
                ),
            ),
            None,
        ),
    )
    found.check()
    return plan


def _parse_checkin(
    document: Any, path: str, known: Mapping[str, Collection[str]], escalation_ids: set[str]
) -> CheckinRequest:
    """A check-in step: the fields of ``POST /v1/checkins`` but ``status`` (an exercise event
    starts an exercise check-in), its roles, teams and responders declared in the playbook."""
    if isinstance(document, Mapping) and "status" in document:
        raise InvalidPolicy(f"{path}.status", "follows the event: leave it out")
    try:
        request = parse_checkin_request(document)
    except InvalidRequest as invalid:
        raise InvalidPolicies(
            [
                InvalidPolicy(f"{path}.{p.field}".removesuffix(".$"), p.message)
                for p in invalid.problems
            ]
        ) from None
    audience = request.audience
    errors = [
        InvalidPolicy(f"{path}.audience.{kind}s[{index}]", f"unknown {kind} {name!r}")
        for kind, names in (("role", audience.roles), ("team", audience.teams))
        for index, name in enumerate(names)
        if name not in known[kind]
    ]
    kind, name = request.responders
    if name not in (escalation_ids if kind == "escalation" else known[kind]):
        errors.append(InvalidPolicy(f"{path}.responders.{kind}", f"no {kind} {name!r}"))
    if errors:
        raise InvalidPolicies(errors)
    return request


def _person_channel(value: Any, path: str) -> Channel:
    channel = read_choice(value, path, Channel)
    if channel is Channel.BROADCAST:
        raise InvalidPolicy(
            path, "broadcast reaches a topic, not people: name audiences under 'statements'"
        )
    return channel


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
    role = read_known(spec["role"], f"{where}.role", roles, "role") if "role" in spec else None
    team = read_known(spec["team"], f"{where}.team", teams, "team") if "team" in spec else None
    channels = tuple(
        _person_channel(channel, f"{where}.{field_name}[{position}]")
        for position, channel in enumerate(read_list(spec[field_name], f"{where}.{field_name}"))
    )
    if not channels:
        raise InvalidPolicy(f"{where}.{field_name}", "must name at least one channel")
    if len(set(channels)) != len(channels):
        raise InvalidPolicy(f"{where}.{field_name}", "names a channel twice")
    return PlanTarget(channels=channels, role=role, team=team, chain=field_name == "chain")


def _parse_manual(document: Any, path: str, roles: Mapping[str, str]) -> ManualPolicy:
    fields = read_object(document, path, required={"roles"}, optional={"approval"})
    allowed = tuple(
        read_known(role, f"{path}.roles[{index}]", roles, "role")
        for index, role in enumerate(read_list(fields["roles"], f"{path}.roles"))
    )
    if not allowed:
        raise InvalidPolicy(f"{path}.roles", "must name at least one role")
    approval = read_optional(
        fields, "approval", path, lambda v, p: parse_gate(v, p, roles, legacy=True)
    )
    return ManualPolicy(roles=allowed, approval=approval)
