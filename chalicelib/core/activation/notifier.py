"""Reach the people an open incident's response plan names, start its escalation, its check-in
and its rhythm of updates when it declares them, and draft the plan's statements to its
audiences (drafts only: people approve and publish them)."""

from __future__ import annotations

from collections.abc import Collection

from chalicelib.core.activation.ports import PlanCheckins
from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.entries import channel_counts
from chalicelib.core.messaging.first_batch import FirstBatch
from chalicelib.core.messaging.planning import (
    NotificationPlan,
    drafts,
    gap_entries,
    on_roster,
    plan_notifications,
)
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    Channel,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    TimelineEntry,
)
from chalicelib.core.playbook.gates import Gate
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.spend.cost import estimate_entry, estimate_fan_out
from chalicelib.core.statements.desk import StatementDesk
from chalicelib.core.updates.rhythm import UpdateDesk


class Notifier:
    """Plans who an open incident's response plan reaches, records it, and queues the jobs.

    Uses the playbook version the incident started with. Safe to repeat: timeline entries are
    keyed and the send ledger drops jobs already sent. ``first_batch``: sends an incident's
    first jobs at once, in this invocation (the evaluator's), and queues the rest.
    """

    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        dispatch: DispatchQueue,
        clock: Clock,
        escalator: Escalator | None = None,
        statements: StatementDesk | None = None,
        checkins: PlanCheckins | None = None,
        updates: UpdateDesk | None = None,
        first_batch: FirstBatch | None = None,
    ) -> None:
        self._first_batch = first_batch
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._dispatch = dispatch
        self._clock = clock
        self._escalator = escalator
        self._statements = statements
        self._checkins = checkins
        self._updates = updates

    def notify(self, incident_id: str, known: Incident | None = None) -> int:
        """``known``: the incident as the caller just stored it, which saves reading it back."""
        incident = known or self._incidents.get(incident_id)
        if incident is None:
            raise TransientError(f"incident {incident_id} not readable yet")
        playbook = self._playbooks.load_version(incident.playbook_version)
        plan = playbook.plan(incident.plan_id)
        gate = plan.gate(by_hand=incident.requested_by is not None)
        if incident.status is IncidentStatus.AWAITING_APPROVAL and gate is not None:
            return self.ask_approvers(incident, gate, gate.roles)
        contacts = on_roster(incident, self._directory.members(plan.roles, plan.teams))
        notifications = plan_notifications(incident_id, plan, contacts)
        jobs = list(notifications.jobs)
        entries = self._plan_entries(notifications)
        spending = self._playbooks.load().spending  # the budget and prices in force
        if len(jobs) > spending.budget.estimate_above:
            people = {contact.contact_id: contact for contact in contacts}
            templates = playbook.templates_for(incident.plan_id)
            estimate = estimate_fan_out(incident, jobs, people, templates, spending.prices)
            entries.append(estimate_entry(estimate, spending.prices.source, self._clock.now()))
        # The first jobs sent now (their entries stamped after the plan's), the rest queued.
        first = self._first_batch
        queued = first.send(incident, jobs, contacts) if first is not None else jobs
        self._incidents.append(incident_id, entries)  # before the queued fan-out starts
        self._dispatch.put_jobs(queued)
        if plan.statements is not None and self._statements is not None and drafts(incident):
            self._statements.draft_initial(incident)
        if plan.updates is not None and self._updates is not None:
            self._updates.start(incident)
        paged = 0
        if plan.escalation and self._escalator is not None:
            notified = {(job.contact_id, job.channel.value) for job in notifications.jobs}
            paged = len(self._escalator.advance(incident, notified).jobs)
        if plan.checkin is not None and self._checkins is not None:
            self._checkins.start_for(incident, plan.checkin)
        return len(jobs) + paged

    def top_up(self, incident: Incident, reached: Collection[tuple[str, str]]) -> int:
        """Reach whom the incident's plan names that no alert reached yet (its plan rose): the
        (person, channel) pairs in ``reached`` are left out; then the plan's statements and
        updates if it declares them, and its escalation, if due."""
        playbook = self._playbooks.load_version(incident.playbook_version)
        plan = playbook.plan(incident.plan_id)
        contacts = on_roster(incident, self._directory.members(plan.roles, plan.teams))
        planned = plan_notifications(incident.incident_id, plan, contacts)
        jobs = [job for job in planned.jobs if (job.contact_id, job.channel.value) not in reached]
        people = sorted({job.contact_id for job in jobs})
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="planned",
            summary=f"{len(jobs)} more notifications planned for the {len(people)} people "
            f"plan {plan.plan_id} adds" + (f": {', '.join(people)}" if people else ""),
            data={
                "jobs": len(jobs),
                "recipients": len(people),
                "plan_id": plan.plan_id,
                "channels": channel_counts(jobs),
            },
            key=f"planned-{plan.plan_id}",
        )
        self._incidents.append(incident.incident_id, [entry])
        self._dispatch.put_jobs(jobs)
        if plan.statements is not None and self._statements is not None and drafts(incident):
            self._statements.draft_initial(incident)  # fixed ids: drafted once
        if plan.updates is not None and self._updates is not None:
            self._updates.start(incident)  # a rhythm already running is kept
        paged = 0
        if plan.escalation and self._escalator is not None:
            notified = {*reached, *((job.contact_id, job.channel.value) for job in jobs)}
            paged = len(self._escalator.advance(incident, notified).jobs)
        return len(jobs) + paged

    def ask_approvers(
        self, incident: Incident, gate: Gate, roles: tuple[str, ...], step: int = 0
    ) -> int:
        """Page the people who may approve an activation held at the gate (never the one who
        activated it, nor who approved already), by SMS and email, each with their link and
        reply code; nobody else is reached. Safe to repeat (a keyed entry, the ledger)."""
        asked = [
            contact
            for contact in self._directory.members(roles)
            if contact.contact_id not in (incident.requested_by, *incident.approved_by)
        ]
        jobs = [
            NotificationJob(
                incident.incident_id, c.contact_id, channel, step, notice=Notice.APPROVAL
            )
            for c in asked
            for channel in (Channel.SMS, Channel.EMAIL)
            if c.unreachable_on(channel) is None
        ]
        deadline = incident.response.due_at
        when = (
            f"; decide by {deadline:%H:%M} UTC, then {gate.on_timeout.value}"
            if deadline and step == 0
            else ""
        )
        who = ", ".join(c.contact_id for c in asked) or "nobody reachable"
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="approval_requested",
            summary=f"waiting for {gate.approvers} approval(s) from {', '.join(roles)} before "
            f"anyone is paged: asking {who}{when}",
            data={
                "roles": list(roles),
                "asked": [c.contact_id for c in asked],
                "needed": gate.approvers,
                "decide_by": deadline.isoformat() if deadline and step == 0 else None,
                "on_timeout": gate.on_timeout.value if gate.timeout else None,
            },
            key=f"approval-requested-{step}",
        )
        self._incidents.append(incident.incident_id, [entry])
        self._dispatch.put_jobs(jobs)
        return len(jobs)

    def _plan_entries(self, notifications: NotificationPlan) -> list[TimelineEntry]:
        at = self._clock.now()
        entries = [
            TimelineEntry(
                at=at,
                kind="planned",
                summary=f"{len(notifications.jobs)} notifications planned for "
                f"{notifications.recipients} people",
                data={
                    "jobs": len(notifications.jobs),
                    "recipients": notifications.recipients,
                    "channels": channel_counts(notifications.jobs),
                },
                key="planned",
            )
        ]
        return entries + gap_entries(at, notifications.gaps)
