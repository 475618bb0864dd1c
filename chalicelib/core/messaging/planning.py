"""Expand a response plan into one notification job per person and channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.model import Channel, Contact, Incident, NotificationJob, TimelineEntry
from chalicelib.core.playbook.drill_request import DrillKind
from chalicelib.core.playbook.plans import ResponsePlan


@dataclass(frozen=True)
class Gap:
    """Someone (or some role) the plan names that cannot be reached, and why."""

    reason: str
    role: str  # the group the plan named: "role it-security" or "team site-aarhus"
    contact_id: str | None = None


@dataclass(frozen=True)
class NotificationPlan:
    jobs: tuple[NotificationJob, ...]
    gaps: tuple[Gap, ...]

    @property
    def recipients(self) -> int:
        return len({job.contact_id for job in self.jobs})


def plan_notifications(
    incident_id: str, plan: ResponsePlan, contacts: Iterable[Contact], step: int = 0
) -> NotificationPlan:
    """One job per (contact, channel), however many of the plan's groups the contact is in.

    Contacts are visited in id order so the same inputs always give the same jobs.
    """
    ordered = sorted(contacts, key=lambda contact: contact.contact_id)
    jobs: dict[tuple[str, str], NotificationJob] = {}
    gaps: list[Gap] = []
    for target in plan.targets:
        holders = [
            contact
            for contact in ordered
            if (target.role and target.role in contact.roles)
            or (target.team and target.team in contact.teams)
        ]
        if not holders:
            gaps.append(Gap(reason=f"nobody in {target.group}", role=target.group))
        for contact in holders:
            plan_person(
                incident_id, target.group, target.channels, target.chain, contact, step, jobs, gaps
            )
    return NotificationPlan(jobs=tuple(jobs.values()), gaps=tuple(gaps))


def plan_person(
    incident_id: str,
    group: str,
    channels: tuple[Channel, ...],
    chain: bool,
    contact: Contact,
    step: int,
    jobs: dict[tuple[str, str], NotificationJob],
    gaps: list[Gap],
) -> None:
    """Jobs for one person: every usable channel, or the first usable one of a chain with the
    rest as its fallbacks. Channels the person can't be reached on are recorded as gaps."""
    usable = []
    for channel in channels:
        reason = contact.unreachable_on(channel)
        if reason is None:
            usable.append(channel)
        else:
            suffix = " (skipped in its chain)" if chain else ""
            gaps.append(Gap(f"{reason}{suffix}", role=group, contact_id=contact.contact_id))
    if not usable:
        return
    if chain:
        first, *rest = usable
        jobs.setdefault(
            (contact.contact_id, first.value),
            NotificationJob(incident_id, contact.contact_id, first, step, tuple(rest)),
        )
        return
    for channel in usable:
        jobs.setdefault(
            (contact.contact_id, channel.value),
            NotificationJob(incident_id, contact.contact_id, channel, step),
        )


def gap_entries(at: datetime, gaps: Iterable[Gap], step: int | None = None) -> list[TimelineEntry]:
    """One keyed "unreachable" timeline entry per gap (``step``: of an escalation)."""
    prefix = "gap-" if step is None else f"gap-{step}-"
    return [
        TimelineEntry(
            at=at,
            kind="unreachable",
            summary=f"{gap.role}: {gap.reason}",
            data={"group": gap.role, "contact_id": gap.contact_id}
            | ({} if step is None else {"step": step}),
            key=f"{prefix}{gap.role}-{gap.contact_id or 'none'}-{index}",
        )
        for index, gap in enumerate(gaps)
    ]


def on_roster(incident: Incident, contacts: Iterable[Contact]) -> list[Contact]:
    """The contacts an incident may reach: a drill's roster only (the dispatcher checks it
    again at sending, whatever planned the job); anyone, for a real incident."""
    roster = incident.roster
    return [c for c in contacts if roster is None or c.contact_id in roster]


def drafts(incident: Incident) -> bool:
    """Whether the plan's statements are drafted: always, but for a drill other than
    full-scale (a simulation exercises the responders only)."""
    return incident.drill_id is None or incident.drill_kind == DrillKind.FULL_SCALE.value
