"""The verification gate: an activation held until people approve it, before anyone else is
paged. Pure.

    plans:
      - id: reputation-response
        approval:                  # every activation, automatic or by hand
          roles: [communications, executive]
          approvers: 1             # distinct people (default 1)
          timeout: 15m             # optional: without it the gate waits for a person
          on_timeout: escalate     # page (go ahead) | cancel | escalate (page escalate_to too)
          escalate_to: [executive]
        manual:
          roles: [communications]
          approval: {roles: [executive]}   # the two-person rule: a gate on manual activation
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    read_choice,
    read_count,
    read_duration,
    read_known,
    read_list,
    read_object,
)

MAX_APPROVERS = 5
MAX_TIMEOUT = timedelta(hours=24)


class OnTimeout(StrEnum):
    PAGE = "page"  # nobody decided in time: go ahead and page the plan
    CANCEL = "cancel"  # nobody decided in time: cancel; nobody is paged
    ESCALATE = "escalate"  # page the escalate_to roles to decide too, and keep waiting


@dataclass(frozen=True)
class Gate:
    """``approvers`` distinct people holding one of ``roles`` must approve, each with their own
    credential (never the person who activated it), before the plan pages anyone."""

    roles: tuple[str, ...]
    approvers: int = 1
    timeout: timedelta | None = None
    on_timeout: OnTimeout = OnTimeout.CANCEL
    escalate_to: tuple[str, ...] = ()

    def describe(self) -> str:
        who = f"{self.approvers} of {', '.join(self.roles)}"
        if self.timeout is None:
            return who
        minutes = int(self.timeout.total_seconds() // 60)
        return f"{who}; after {minutes} min: {self.on_timeout.value}"


def parse_gate(document: Any, path: str, roles: Mapping[str, str], legacy: bool = False) -> Gate:
    """``legacy``: the two-person rule under ``manual.approval`` (roles only)."""
    optional = set() if legacy else {"approvers", "timeout", "on_timeout", "escalate_to"}
    fields = read_object(document, path, required={"roles"}, optional=optional)
    approvers_roles = _roles(fields["roles"], f"{path}.roles", roles)
    count = read_count(fields.get("approvers", 1), f"{path}.approvers")
    if count > MAX_APPROVERS:
        raise InvalidPolicy(f"{path}.approvers", f"must be at most {MAX_APPROVERS}")
    timeout = read_duration(fields["timeout"], f"{path}.timeout") if "timeout" in fields else None
    if timeout is not None and timeout > MAX_TIMEOUT:
        raise InvalidPolicy(f"{path}.timeout", "must be at most 24h")
    if "on_timeout" in fields and timeout is None:
        raise InvalidPolicy(f"{path}.on_timeout", "needs a timeout")
    if timeout is not None and "on_timeout" not in fields:
        raise InvalidPolicy(
            f"{path}.on_timeout", "is required with a timeout: page, cancel or escalate"
        )
    action = read_choice(fields.get("on_timeout", "cancel"), f"{path}.on_timeout", OnTimeout)
    escalate_to = (
        _roles(fields["escalate_to"], f"{path}.escalate_to", roles)
        if "escalate_to" in fields
        else ()
    )
    if (action is OnTimeout.ESCALATE) != bool(escalate_to):
        raise InvalidPolicy(
            f"{path}.escalate_to", "is required with on_timeout: escalate, and only with it"
        )
    return Gate(approvers_roles, count, timeout, action, escalate_to)


def _roles(value: Any, path: str, roles: Mapping[str, str]) -> tuple[str, ...]:
    found = tuple(
        read_known(role, f"{path}[{index}]", roles, "role")
        for index, role in enumerate(read_list(value, path))
    )
    if not found:
        raise InvalidPolicy(path, "must name at least one role")
    return found
