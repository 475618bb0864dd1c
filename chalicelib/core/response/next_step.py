"""What the escalation of one incident does next. Pure: plain values in, one value out.

    incident, its policy, now, who each level reaches (a roster per level),
    who the plan has just notified
        ──▶ next_step() ──▶ NextStep: PAGED (step N, these jobs, these people)
                                      EXHAUSTED (every step paged, nobody acknowledged)
                                      NOTHING_DUE (not open, no policy, deadline not passed)

The shell (:mod:`chalicelib.core.response.escalator`) reads the inputs, queues the jobs and
stores the state with a write conditional on the version it read; when that write fails, the
step becomes LOST_RACE and nothing else happens. A level with nobody reachable is skipped at
once, with the reason on the timeline.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.core.fields import describe_duration
from chalicelib.core.messaging.entries import channel_counts
from chalicelib.core.messaging.planning import Gap, gap_entries, plan_person
from chalicelib.core.model import (
    Contact,
    Incident,
    IncidentStatus,
    NotificationJob,
    ResponseState,
    Stop,
    TimelineEntry,
)
from chalicelib.core.playbook.escalations import EscalationPolicy


class StepOutcome(StrEnum):
    PAGED = "paged"  # a level is paged: ``step``, ``jobs``, ``paged``
    EXHAUSTED = "exhausted"  # every step was paged and nobody acknowledged: escalation stops
    NOTHING_DUE = "nothing_due"  # not open, no escalation policy, or its deadline not passed
    LOST_RACE = "lost_race"  # another tick or an answer moved the state first: nothing changed


@dataclass(frozen=True)
class Roster:
    """Who one level of a policy names, resolved at an instant (on-call schedules, roles,
    teams, people), and who it names that cannot be found."""

    people: tuple[Contact, ...] = ()
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class NextStep:
    """What happens to one incident's escalation now."""

    outcome: StepOutcome
    step: int | None = None  # the step paged (0: the first level), or reached when exhausted
    jobs: tuple[NotificationJob, ...] = ()  # to queue; people the plan just notified are not
    paged: tuple[str, ...] = ()  # everyone the level reaches, including those just notified
    state: ResponseState | None = None  # to store, conditional on the version read
    entries: tuple[TimelineEntry, ...] = ()  # stored with the state: what happened
    gaps: tuple[TimelineEntry, ...] = ()  # who could not be reached; recorded once it is stored

    @property
    def moved(self) -> bool:
        """The escalation moved on: a level was paged, or the policy ran out."""
        return self.outcome in (StepOutcome.PAGED, StepOutcome.EXHAUSTED)


NOTHING_DUE = NextStep(StepOutcome.NOTHING_DUE)


@dataclass(frozen=True)
class LevelPlan:
    jobs: tuple[NotificationJob, ...]
    paged: tuple[str, ...]  # everyone the level reaches, including those already notified
    gaps: tuple[Gap, ...]


def is_due(incident: Incident, now: datetime) -> bool:
    """An open incident's next step is due: its first level on opening, later ones at their
    deadline (unless acknowledged or exhausted)."""
    state = incident.response
    first = state.step < 0 and state.stopped is None
    return incident.status is IncidentStatus.OPEN and (first or state.is_due(now))


def next_step(
    incident: Incident,
    policy: EscalationPolicy | None,
    now: datetime,
    rosters: Mapping[int, Roster],
    notified: Collection[tuple[str, str]] = (),
) -> NextStep:
    """The incident's next level with someone reachable, if a step is due.

    ``rosters``: who each level reaches, by level index (``step % len(policy.levels)``); only
    the levels visited are looked up, so the shell may fill the mapping as it is read.
    ``notified``: (contact, channel) pairs the plan has just reached, not sent again.
    """
    if policy is None or not is_due(incident, now):
        return NOTHING_DUE
    state = incident.response
    entries: list[TimelineEntry] = []
    gaps: list[TimelineEntry] = []
    step = state.step + 1
    while step < policy.steps:
        level = plan_level(
            incident.incident_id, policy, step, rosters[step % len(policy.levels)], notified
        )
        gaps += gap_entries(now, level.gaps, step)
        if level.paged:
            break
        entries.append(
            TimelineEntry(
                at=now,
                kind="escalation_skipped",
                summary=f"{policy.describe_step(step)} skipped: nobody reachable",
                data={"step": step, "policy_id": policy.policy_id},
                key=f"escalation-skip-{step}",
            )
        )
        step += 1
    else:
        exhausted = replace(
            state,
            step=step,
            due_at=None,
            paged=(),
            paged_by_step=_steps_paged(state, step, None),
            stopped=Stop.EXHAUSTED,
            version=state.version + 1,
        )
        entries.append(
            TimelineEntry(
                at=now,
                kind="escalation_exhausted",
                summary=f"escalation exhausted: nobody acknowledged after all "
                f"{policy.steps} steps of {policy.policy_id}",
                data={"policy_id": policy.policy_id, "steps": policy.steps},
                key="escalation-exhausted",
            )
        )
        return NextStep(
            StepOutcome.EXHAUSTED, step, state=exhausted, entries=tuple(entries), gaps=tuple(gaps)
        )
    rules = policy.level(step)
    paged = replace(
        state,
        step=step,
        due_at=now + rules.timeout,
        paged=level.paged,
        paged_by_step=_steps_paged(state, step, level.paged),
        declined_by=(),
        version=state.version + 1,
    )
    needed = f"; {rules.quorum} must acknowledge" if rules.quorum > 1 else ""
    entries.append(
        TimelineEntry(
            at=now,
            kind="paged" if state.step < 0 else "escalated",
            summary=f"{policy.describe_step(step)}: paging {', '.join(level.paged)}; "
            f"acknowledgement expected within {describe_duration(rules.timeout)}" + needed,
            data={
                "step": step,
                "policy_id": policy.policy_id,
                "paged": list(level.paged),
                "jobs": len(level.jobs),
                "channels": channel_counts(level.jobs),
                "due_at": paged.due_at.isoformat() if paged.due_at else None,
            },
            key=f"escalation-{step}",
        )
    )
    return NextStep(
        StepOutcome.PAGED, step, level.jobs, level.paged, paged, tuple(entries), tuple(gaps)
    )


def _steps_paged(
    state: ResponseState, step: int, paged: tuple[str, ...] | None
) -> tuple[tuple[str, ...], ...]:
    """Who each step has paged, through ``step`` (which pages ``paged``; None: the policy ran
    out before it), the steps skipped in between paging nobody."""
    known = max(state.step + 1, 0)
    history = state.paged_by_step[:known]
    if len(history) < known:  # a state kept before steps were: its current step's people
        history += ((),) * (known - 1 - len(history)) + (state.paged,)
    history += ((),) * (step - len(history))
    return history + ((paged,) if paged is not None else ())


def plan_level(
    incident_id: str,
    policy: EscalationPolicy,
    step: int,
    roster: Roster,
    notified: Collection[tuple[str, str]] = (),
) -> LevelPlan:
    """The jobs of one step for the people on its roster, and who it cannot reach."""
    level = policy.level(step)
    group = policy.describe_step(step)
    gaps = list(roster.gaps)
    jobs: dict[tuple[str, str], NotificationJob] = {}
    for contact in sorted(roster.people, key=lambda c: c.contact_id):
        plan_person(incident_id, group, level.channels, level.chain, contact, step + 1, jobs, gaps)
    on_roster = {contact.contact_id for contact in roster.people}
    reached = {contact_id for contact_id, _ in jobs}
    already = {contact_id for contact_id, _ in notified if contact_id in on_roster}
    fresh = tuple(job for key, job in jobs.items() if key not in notified)
    return LevelPlan(fresh, tuple(sorted(reached | already)), tuple(gaps))
