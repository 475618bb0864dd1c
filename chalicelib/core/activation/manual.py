"""Activating a response plan by hand, with the two-person rule where the plan asks for it.

    person A (a role in plan.manual.roles) ──request──▶ incident
        plan without approval ──────────────────────────▶ open, everyone notified at once
        plan with approval ─────────────────────────────▶ awaiting_approval, nobody notified
    person B (≠ A, a role in plan.manual.approver_roles) ──approve──▶ open, everyone notified
                                                          ──reject───▶ cancelled, nobody notified

Every step is on the timeline with who (contact id), what and when. Approving or rejecting
twice, or racing another approver, changes nothing: the first transition wins (Conflict).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
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
from chalicelib.core.playbook.plans import ResponsePlan
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
        waits = plan.manual.needs_approval
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
            response=ResponseState(policy_id=plan.escalation)
            if waits
            else ResponseState.starting(plan.escalation, now),
            expires_at=playbook.retention.incident_expiry(now),
        )
        approvers = ", ".join(plan.manual.approver_roles)
        entry = TimelineEntry(
            at=now,
            kind="activation_requested" if waits else "activated",
            summary=f"{plan.title} activated by hand by {actor_id}"
            + (f"; waiting for a second person ({approvers}) to approve" if waits else ""),
            data={"contact_id": actor_id, "plan_id": plan_id, "approval_roles": approvers},
            key="activated" if not waits else "requested",
        )
        self._incidents.create(incident, [entry])
        if not waits:
            self._notifier.notify(incident_id, incident)
        return incident

    def approve(self, incident_id: str, actor_id: str) -> int:
        """Approve and notify; returns how many notifications were queued."""
        incident, plan = self._awaiting(incident_id)
        actor = self._person(actor_id)
        if actor_id == incident.requested_by:
            raise Forbidden("the two-person rule: someone other than the requester must approve")
        assert plan.manual is not None
        _require_role(actor, plan.manual.approver_roles, f"approve {plan.plan_id}")
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="approved",
            summary=f"approved by {actor_id}; notifying the plan",
            data={"contact_id": actor_id},
            key="approved",
        )
        if not self._incidents.transition(
            incident_id, IncidentStatus.AWAITING_APPROVAL, IncidentStatus.OPEN, entry
        ):
            raise Conflict(f"incident {incident_id} is no longer awaiting approval")
        return self._notifier.notify(incident_id, replace(incident, status=IncidentStatus.OPEN))

    def reject(self, incident_id: str, actor_id: str, reason: str) -> None:
        incident, plan = self._awaiting(incident_id)
        actor = self._person(actor_id)
        assert plan.manual is not None
        if actor_id != incident.requested_by:
            _require_role(actor, plan.manual.approver_roles, f"reject {plan.plan_id}")
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="rejected",
            summary=f"rejected by {actor_id}"
            + (f": {reason}" if reason else "")
            + "; nobody was notified",
            data={"contact_id": actor_id, "reason": reason},
            key="rejected",
        )
        if not self._incidents.transition(
            incident_id, IncidentStatus.AWAITING_APPROVAL, IncidentStatus.CANCELLED, entry
        ):
            raise Conflict(f"incident {incident_id} is no longer awaiting approval")

    def _awaiting(self, incident_id: str) -> tuple[Incident, ResponsePlan]:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.status is not IncidentStatus.AWAITING_APPROVAL:
            raise Conflict(
                f"incident {incident_id} is {incident.status.value}, not awaiting approval"
            )
        plan = self._playbooks.load_version(incident.playbook_version).plan(incident.plan_id)
        return incident, plan

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
