"""Expand a response plan into one notification job per person and channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.core.model import Contact, NotificationJob
from chalicelib.core.policy import PlanTarget, ResponsePlan


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
            if target.chain:
                _plan_chain(incident_id, target, contact, step, jobs, gaps)
                continue
            for channel in target.channels:
                unreachable = contact.unreachable_on(channel)
                if unreachable is not None:
                    gaps.append(
                        Gap(reason=unreachable, role=target.group, contact_id=contact.contact_id)
                    )
                    continue
                key = (contact.contact_id, channel.value)
                jobs.setdefault(
                    key, NotificationJob(incident_id, contact.contact_id, channel, step)
                )
    return NotificationPlan(jobs=tuple(jobs.values()), gaps=tuple(gaps))


def _plan_chain(
    incident_id: str,
    target: PlanTarget,
    contact: Contact,
    step: int,
    jobs: dict[tuple[str, str], NotificationJob],
    gaps: list[Gap],
) -> None:
    """The first channel of the chain this person can be reached on; the rest are fallbacks."""
    usable = [c for c in target.channels if contact.unreachable_on(c) is None]
    for channel in target.channels:
        reason = contact.unreachable_on(channel)
        if reason is not None:
            gaps.append(
                Gap(
                    reason=f"{reason} (skipped in its chain)",
                    role=target.group,
                    contact_id=contact.contact_id,
                )
            )
    if not usable:
        return
    first, *rest = usable
    jobs.setdefault(
        (contact.contact_id, first.value),
        NotificationJob(incident_id, contact.contact_id, first, step, tuple(rest)),
    )
