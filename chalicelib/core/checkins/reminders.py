"""Chasing the silent: every ``every`` minutes, up to ``times`` times, a reminder to those who
have not answered (and only them), then, if asked, one message to each silent person's lead
(``reports_to``). At the deadline the check-in closes: no more reminders; answers still count,
as late.

    tick ─▶ each open check-in ─▶ past its deadline ─────────▶ closed (and its incident resolved)
                               ─▶ a reminder round is due ──▶ jobs for the silent, queued first,
                                                              then the round stored (conditional
                                                              on the version read)

A crash between queueing and storing repeats the same round: its jobs carry the round as their
step, so the send ledger sends each reminder once; the dispatcher drops a reminder to someone
who has answered since it was queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.core.checkins.ports import CheckinStore
from chalicelib.core.checkins.values import Checkin, CheckinStatus
from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.planning import plan_person
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import IncidentStatus, Notice, NotificationJob, TimelineEntry
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore

LEAD_CHANNELS = "lead"


@dataclass
class ReminderReport:
    reminded: int = 0  # people sent a reminder
    leads: int = 0  # leads told
    closed: int = 0
    failed: list[str] = field(default_factory=list)


class CheckinReminders:
    def __init__(
        self,
        store: CheckinStore,
        incidents: IncidentStore,
        directory: ContactDirectory,
        dispatch: DispatchQueue,
        clock: Clock,
    ) -> None:
        self._store = store
        self._incidents = incidents
        self._directory = directory
        self._dispatch = dispatch
        self._clock = clock

    def tick(self) -> ReminderReport:
        report = ReminderReport()
        for checkin_id in self._store.open_ids():
            checkin = self._store.get(checkin_id)
            if checkin is None or checkin.status is not CheckinStatus.OPEN:
                continue
            try:
                self._advance(checkin, report)
            except TransientError:
                report.failed.append(checkin_id)
        return report

    def _advance(self, checkin: Checkin, report: ReminderReport) -> None:
        now = self._clock.now()
        if now >= checkin.deadline:
            self._close(checkin)
            report.closed += 1
            return
        due = checkin.next_reminder_at
        if due is None or now < due:
            return
        reminders = checkin.reminders
        silent = self._silent(checkin)
        round_ = checkin.reminded + 1
        if checkin.reminded < reminders.times:
            jobs = self._reminders(checkin, silent, round_)
            report.reminded += len({job.contact_id for job in jobs})
            following = now + reminders.every if reminders.every else None
            if round_ == reminders.times and not reminders.then_lead:
                following = None
        else:
            jobs = self._leads(checkin, silent, round_)
            report.leads += len({job.contact_id for job in jobs})
            following = None
        if jobs:
            self._dispatch.put_jobs(jobs)
        moved = replace(
            checkin, reminded=round_, next_reminder_at=following, version=checkin.version + 1
        )
        if self._store.save(moved, checkin.version):
            kind = "leads told" if checkin.reminded >= reminders.times else f"reminder {round_}"
            self._incidents.append(
                checkin.incident_id,
                [
                    TimelineEntry(
                        at=now,
                        kind="checkin_reminded",
                        summary=f"{kind}: {len(jobs)} messages to {len(silent)} silent people",
                        data={"round": round_, "jobs": len(jobs), "silent": len(silent)},
                        key=f"checkin-round-{round_}",
                    )
                ],
            )

    def _silent(self, checkin: Checkin) -> list[str]:
        answered = self._store.latest(checkin.checkin_id)
        unreachable = set(checkin.unreachable)
        return [
            m.contact_id
            for m in self._store.audience(checkin.checkin_id)
            if m.contact_id not in answered and m.contact_id not in unreachable
        ]

    def _reminders(self, checkin: Checkin, silent: list[str], step: int) -> list[NotificationJob]:
        jobs: dict[tuple[str, str], NotificationJob] = {}
        people = self._directory.get_contacts(silent)
        for contact_id in silent:
            person = people.get(contact_id)
            if person is not None:
                plan_person(
                    checkin.incident_id,
                    "check-in",
                    checkin.channels,
                    checkin.chain,
                    person,
                    step,
                    jobs,
                    [],
                )
        return [replace(job, notice=Notice.CHECKIN) for job in jobs.values()]

    def _leads(self, checkin: Checkin, silent: list[str], step: int) -> list[NotificationJob]:
        """One message to each lead of a silent person: the dispatcher names them."""
        people = self._directory.get_contacts(silent)
        leads = sorted({p.reports_to for p in people.values() if p.reports_to})
        jobs: dict[tuple[str, str], NotificationJob] = {}
        for lead in self._directory.get_contacts(leads).values():
            plan_person(
                checkin.incident_id, LEAD_CHANNELS, checkin.channels, True, lead, step, jobs, []
            )
        return [replace(job, notice=Notice.CHECKIN_LEAD) for job in jobs.values()]

    def _close(self, checkin: Checkin) -> None:
        now = self._clock.now()
        closed = replace(
            checkin, status=CheckinStatus.CLOSED, next_reminder_at=None, version=checkin.version + 1
        )
        if not self._store.save(closed, checkin.version):
            return
        entry = TimelineEntry(
            at=now,
            kind="checkin_closed",
            summary="check-in closed at its deadline; later answers are recorded as late",
            data={"checkin_id": checkin.checkin_id},
            key="checkin-closed",
        )
        self._incidents.transition(
            checkin.incident_id, IncidentStatus.OPEN, IncidentStatus.RESOLVED, entry
        )
