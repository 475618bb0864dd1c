"""Activating a response plan by hand, with the two-person rule where the plan asks for it.

    person A (a role in plan.manual.roles) ──request──▶ incident
        plan without a gate ────────────────────────────▶ open, everyone notified at once
        plan with a gate (its approval, or manual.approval) ▶ awaiting_approval: only the
                                                            approvers are paged
    person B (≠ A, an approver role) ──approve / reject──▶ the gate (``verification.py``): the same
                                                           mechanism as automatic activations

Every step is on the timeline with who (contact id), what and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.core.events import is_event_type
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import (
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    ResponseState,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore

MAX_SUMMARY = 1024
_E = TypeVar("_E", Severity, EventStatus)
_REQUEST_FIELDS = frozenset({"summary", "severity", "status", "type"})


@dataclass(frozen=True)
class ManualRequest:
    summary: str
    severity: Severity
    status: EventStatus
    type: str


def parse_request(document: Any) -> ManualRequest:
    """``{"summary": ..., "severity": "critical", "status": "exercise", "type": "manual"}``"""
    if not isinstance(document, Mapping):
        raise InvalidRequest("$", "the request must be a JSON object")
    unknown = sorted(set(document) - _REQUEST_FIELDS)
    if unknown:
        raise InvalidRequest(unknown[0], "unknown field")
    summary = document.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise InvalidRequest("summary", "is required: say what is happening")
    if len(summary) > MAX_SUMMARY:
        raise InvalidRequest("summary", f"must be at most {MAX_SUMMARY} characters")
    return ManualRequest(
        summary=summary.strip(),
        severity=_choice(document, "severity", Severity, Severity.CRITICAL),
        status=_choice(document, "status", EventStatus, EventStatus.ACTUAL),
        type=_type(document.get("type", "manual.activation")),
    )


class ManualActivation:
    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._notifier = notifier
        self._clock = clock

    def request(self, plan_id: str, actor_id: str, request: ManualRequest) -> Incident:
        playbook = self._playbooks.load()
        plan = playbook.plans.get(plan_id)
        if plan is None:
            raise NotFound(f"no response plan {plan_id}")
        if plan.manual is None:
            raise Forbidden(f"plan {plan_id} cannot be activated by hand (no 'manual' section)")
        actor = self._person(actor_id)
        _require_role(actor, plan.manual.roles, f"activate {plan_id}")
        now = self._clock.now()
        gate = plan.gate(by_hand=True)
        waits = gate is not None
        deadline = now + gate.timeout if gate is not None and gate.timeout else None
        incident_id = incident_id_for_event(new_event_id(now))
        incident = Incident(
            incident_id=incident_id,
            status=IncidentStatus.AWAITING_APPROVAL if waits else IncidentStatus.OPEN,
            title=request.summary,
            type=request.type,
            severity=request.severity,
            event_status=request.status,
            dedup_key=f"manual:{incident_id}",
            rule_id="manual",
            plan_id=plan_id,
            opened_at=now,
            updated_at=now,
            playbook_version=playbook.version,
            requested_by=actor_id,
            # Waiting for approval, nothing is due: approving pages the first level.
            response=ResponseState(policy_id=plan.escalation, due_at=deadline)
            if waits
            else ResponseState.starting(plan.escalation, now),
        )
        approvers = ", ".join(gate.roles) if gate else ""
        entry = TimelineEntry(
            at=now,
            kind="activation_requested" if waits else "activated",
            summary=f"{plan.title} activated by hand by {actor_id}"
            + (f"; waiting for a second person ({approvers}) to approve" if waits else ""),
            data={"contact_id": actor_id, "plan_id": plan_id, "approval_roles": approvers},
            key="activated" if not waits else "requested",
        )
        self._incidents.create(incident, [entry])
        self._notifier.notify(incident_id, incident)  # at the gate: only its approvers
        return incident

    def _person(self, contact_id: str) -> Contact:
        contact = self._directory.get_contacts([contact_id]).get(contact_id)
        if contact is None:
            raise Forbidden(f"the key's contact {contact_id} no longer exists")
        return contact


def _require_role(actor: Contact, roles: tuple[str, ...], what: str) -> None:
    if not set(actor.roles) & set(roles):
        raise Forbidden(f"to {what} you need one of the roles {', '.join(roles)}")


def _choice(document: Mapping[str, Any], name: str, kind: type[_E], default: _E) -> _E:
    value = document.get(name)
    if value is None:
        return default
    allowed = ", ".join(member.value for member in kind)
    try:
        return kind(value)
    except (ValueError, TypeError):
        raise InvalidRequest(name, f"must be one of {allowed}; got {value!r}") from None


def _type(value: Any) -> str:
    if not isinstance(value, str) or not is_event_type(value):
        raise InvalidRequest(
            "type", "must be lower-case words separated by dots, such as 'manual.x'"
        )
    return value
