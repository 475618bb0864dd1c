"""Reach the people an open incident's response plan names, and start its escalation."""

from __future__ import annotations

from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.planning import NotificationPlan, gap_entries, plan_notifications
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import STAKEHOLDERS, Channel, Incident, NotificationJob, TimelineEntry
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.spend.cost import estimate_entry, estimate_fan_out


class Notifier:
    """Plans who an open incident's response plan reaches, records it, and queues the jobs.

    Uses the playbook version the incident started with. Safe to repeat: timeline entries are
    keyed and the send ledger drops jobs already sent.
    """

    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        dispatch: DispatchQueue,
        clock: Clock,
        escalator: Escalator | None = None,
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._dispatch = dispatch
        self._clock = clock
        self._escalator = escalator

    def notify(self, incident_id: str, known: Incident | None = None) -> int:
        """``known``: the incident as the caller just stored it, which saves reading it back."""
        incident = known or self._incidents.get(incident_id)
        if incident is None:
            raise TransientError(f"incident {incident_id} not readable yet")
        playbook = self._playbooks.load_version(incident.playbook_version)
        plan = playbook.plan(incident.plan_id)
        contacts = self._directory.members(plan.roles, plan.teams)
        notifications = plan_notifications(incident_id, plan, contacts)
        jobs = list(notifications.jobs)
        if plan.inform_stakeholders:
            jobs.append(NotificationJob(incident_id, STAKEHOLDERS, Channel.BROADCAST))
        entries = self._plan_entries(notifications)
        spending = self._playbooks.load().spending  # the budget and prices in force
        if len(jobs) > spending.budget.estimate_above:
            people = {contact.contact_id: contact for contact in contacts}
            templates = playbook.templates_for(incident.plan_id)
            estimate = estimate_fan_out(incident, jobs, people, templates, spending.prices)
            entries.append(estimate_entry(estimate, spending.prices.source, self._clock.now()))
        self._incidents.append(incident_id, entries)  # before the fan-out starts
        self._dispatch.put_jobs(jobs)
        paged = 0
        if plan.escalation and self._escalator is not None:
            notified = {(job.contact_id, job.channel.value) for job in notifications.jobs}
            paged = len(self._escalator.advance(incident, notified).jobs)
        return len(jobs) + paged

    def _plan_entries(self, notifications: NotificationPlan) -> list[TimelineEntry]:
        at = self._clock.now()
        entries = [
            TimelineEntry(
                at=at,
                kind="planned",
                summary=f"{len(notifications.jobs)} notifications planned for "
                f"{notifications.recipients} people",
                data={"jobs": len(notifications.jobs), "recipients": notifications.recipients},
                key="planned",
            )
        ]
        return entries + gap_entries(at, notifications.gaps)
