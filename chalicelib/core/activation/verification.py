"""The verification gate: an activation held until enough people approve it, before the plan
pages anyone. One mechanism for automatic activations (the plan's ``approval``) and for the
two-person rule on activation by hand (``manual.approval``).

    activation ─▶ awaiting_approval: only the approvers are paged (link, reply code, API)
    approve ─────▶ counted once per person (own credential, an approver role, never the
                   person who activated it); the Nth distinct approval opens it: the plan pages
    reject ──────▶ cancelled: nobody was notified
    timeout ─────▶ page (open and page) | cancel | escalate (page escalate_to roles too, wait)

The tick acts on a gate once: its deadline leaves the escalation index in the same conditional
write that moves the incident on, so two ticks, or a tick racing an approval, act once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, Forbidden, NotFound
from chalicelib.core.fields import describe_duration
from chalicelib.core.model import Incident, IncidentStatus, TimelineEntry
from chalicelib.core.playbook.gates import Gate, OnTimeout
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore

AWAITING = IncidentStatus.AWAITING_APPROVAL


@dataclass
class GateTick:
    acted: int = 0  # gates whose timeout was acted on
    failed: list[str] = field(default_factory=list)  # incident ids to retry at the next tick
    reasons: dict[str, str] = field(default_factory=dict)  # incident id: what went wrong


class Gatekeeper:
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

    def approve(self, incident_id: str, who: Answerer) -> int:
        """Count the approval; the last one needed opens the incident and pages the plan.
        Returns how many notifications were queued (0 while more approvals are needed)."""
        incident, gate = self._waiting(incident_id)
        person = self._approver(incident, gate, who, "approve")
        if person in incident.approved_by:
            raise Conflict(
                f"{person} already approved incident {incident_id}; another approval must "
                "come from another person"
            )
        count = len(incident.approved_by) + 1
        done = count >= gate.approvers
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="approved",
            summary=f"approved by {who.describe()}"
            + ("; notifying the plan" if done else f" ({count} of {gate.approvers})"),
            data={**who.document(), "approvals": count, "needed": gate.approvers},
            key=f"approved-{person}",
        )
        if not self._incidents.add_approval(incident_id, person, entry):
            raise Conflict(f"incident {incident_id} is no longer awaiting approval")
        if not done:
            return 0
        # The same keyed entry: written once, whichever write lands it.
        if not self._incidents.transition(incident_id, AWAITING, IncidentStatus.OPEN, entry):
            raise Conflict(f"incident {incident_id} is no longer awaiting approval")
        return self._notifier.notify(incident_id, replace(incident, status=IncidentStatus.OPEN))

    def reject(self, incident_id: str, who: Answerer, reason: str) -> None:
        incident, gate = self._waiting(incident_id)
        if who.contact_id != incident.requested_by or not who.person_bound:
            self._approver(incident, gate, who, "reject", withdraw=False)
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="rejected",
            summary=f"rejected by {who.describe()}"
            + (f": {reason}" if reason else "")
            + "; nobody was notified",
            data={**who.document(), "reason": reason},
            key="rejected",
        )
        if not self._incidents.transition(incident_id, AWAITING, IncidentStatus.CANCELLED, entry):
            raise Conflict(f"incident {incident_id} is no longer awaiting approval")

    def tick(self) -> GateTick:
        """Act on every gate whose timeout has passed. Each incident is isolated, as the
        escalator's are: one that fails, whatever it raises (an unreadable item, throttling, a
        bug), is reported with why and tried again at the next tick; the others proceed."""
        now = self._clock.now()
        report = GateTick()
        for incident_id in self._incidents.due(now):
            try:
                incident = self._incidents.get(incident_id)
                if incident is None or incident.status is not AWAITING:
                    continue
                gate = self._gate(incident)
                due = incident.response.due_at
                if gate is None or gate.timeout is None or due is None or due > now:
                    continue
                report.acted += self._time_out(incident, gate)
            except Exception as error:  # the isolation boundary of one incident
                report.failed.append(incident_id)
                report.reasons[incident_id] = f"{type(error).__name__}: {error}"
        return report

    def _time_out(self, incident: Incident, gate: Gate) -> int:
        assert gate.timeout is not None
        waited = describe_duration(gate.timeout)
        action = gate.on_timeout
        target = {
            OnTimeout.PAGE: IncidentStatus.OPEN,
            OnTimeout.CANCEL: IncidentStatus.CANCELLED,
            OnTimeout.ESCALATE: AWAITING,
        }[action]
        then = {
            OnTimeout.PAGE: "paging the plan",
            OnTimeout.CANCEL: "cancelled; nobody was notified",
            OnTimeout.ESCALATE: f"asking {', '.join(gate.escalate_to)} to decide too",
        }[action]
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="gate_timed_out",
            summary=f"nobody approved within {waited} ({len(incident.approved_by)} of "
            f"{gate.approvers} approvals): {then}",
            data={"on_timeout": action.value, "approved_by": list(incident.approved_by)},
            key="gate-timed-out",
        )
        if not self._incidents.transition(incident.incident_id, AWAITING, target, entry):
            return 0  # decided, or acted on by another tick, meanwhile
        if action is OnTimeout.PAGE:
            self._notifier.notify(incident.incident_id, replace(incident, status=target))
        elif action is OnTimeout.ESCALATE:
            self._notifier.ask_approvers(incident, gate, gate.escalate_to, step=1)
        return 1

    def _waiting(self, incident_id: str) -> tuple[Incident, Gate]:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.status is not AWAITING:
            raise Conflict(
                f"incident {incident_id} is {incident.status.value}, not awaiting approval"
            )
        gate = self._gate(incident)
        if gate is None:
            raise Conflict(f"incident {incident_id}: its plan no longer has a gate")
        return incident, gate

    def _gate(self, incident: Incident) -> Gate | None:
        playbook = self._playbooks.load_version(incident.playbook_version)
        return playbook.plan(incident.plan_id).gate(by_hand=incident.requested_by is not None)

    def _approver(
        self, incident: Incident, gate: Gate, who: Answerer, what: str, withdraw: bool = True
    ) -> str:
        if not who.person_bound or who.contact_id is None:
            raise Forbidden(
                f"only a person's own credential can {what} an activation (their link, reply "
                f"code or personal key); {who.describe()} is not one"
            )
        person = who.contact_id
        if withdraw and person == incident.requested_by:
            raise Forbidden(
                "the two-person rule: someone other than the requester must approve; "
                "nobody approves an activation they triggered"
            )
        contact = self._directory.get_contacts([person]).get(person)
        roles = (*gate.roles, *gate.escalate_to)
        if contact is None or not set(contact.roles) & set(roles):
            raise Forbidden(
                f"to {what} this activation you need one of the roles {', '.join(roles)}"
            )
        return person
