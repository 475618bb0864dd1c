"""Where an incident's answers stand, level by level: who each step paged, who of them
acknowledged or declined, how many acknowledgements are needed, and the answers recorded
without counting (and why). Pure: built from the response state, the policy and the timeline.

    step  level  paged                         acknowledged     declined
    0     1      c-ada, c-chen, c-dina, c-fay  c-ada, c-chen    -
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.model import Incident, IncidentStatus, ResponseState, TimelineEntry
from chalicelib.core.playbook.escalations import EscalationPolicy
from chalicelib.core.response.state import quorum


@dataclass(frozen=True)
class LevelStanding:
    """One step of the escalation as it went: a level of the policy, perhaps in a repeat."""

    step: int  # 0: the first level paged
    level: int  # 1-based, as the policy's levels are written
    repeat: int  # 0: the policy's first run
    quorum: int
    paged: tuple[str, ...]  # nobody: the step was skipped (nobody reachable)
    acknowledged: tuple[str, ...]  # those paged here whose acknowledgement counted
    declined: tuple[str, ...]  # those paged here who said they can't respond, at this step


@dataclass(frozen=True)
class UncountedAnswer:
    """An answer recorded without counting, with who made it and why it does not count."""

    at: datetime
    answer: str  # acknowledged, declined
    contact_id: str | None
    by: str  # the key's name, the AWS principal, the event's source, or the person
    credential: str
    via: str
    why: str  # not_a_person, not_bound, not_paged, not_at_level
    reason: str


@dataclass(frozen=True)
class Standing:
    policy_id: str | None
    needed: int  # acknowledgements that stop the escalation now
    counted: tuple[str, ...]  # the people whose acknowledgements count, in order
    # running, acknowledged, exhausted; none: no policy; or the incident's status once it is
    # no longer open (resolved, cancelled, awaiting_approval)
    escalation: str
    due_at: datetime | None  # when the next level is paged, unless enough acknowledge
    levels: tuple[LevelStanding, ...]
    not_counted: tuple[UncountedAnswer, ...]


def standing(
    incident: Incident, policy: EscalationPolicy | None, timeline: Iterable[TimelineEntry]
) -> Standing:
    state = incident.response
    entries = list(timeline)
    acknowledged = set(state.acknowledged_by)
    declined_at: dict[int, set[str]] = {}
    for entry in entries:
        if entry.kind == "declined" and isinstance(entry.data.get("step"), int):
            declined_at.setdefault(entry.data["step"], set()).add(str(entry.data["contact_id"]))
    declined_at.setdefault(state.step, set()).update(state.declined_by)
    levels = tuple(
        LevelStanding(
            step=step,
            level=step % len(policy.levels) + 1,
            repeat=step // len(policy.levels),
            quorum=policy.level(step).quorum,
            paged=paged,
            acknowledged=tuple(c for c in paged if c in acknowledged),
            declined=tuple(c for c in paged if c in declined_at.get(step, set())),
        )
        for step, paged in enumerate(_steps(state))
        if policy is not None and step < policy.steps
    )
    return Standing(
        policy_id=state.policy_id,
        needed=quorum(policy, state),
        counted=state.acknowledged_by,
        escalation=_escalation(incident, policy),
        due_at=state.due_at if _escalation(incident, policy) == "running" else None,
        levels=levels,
        not_counted=tuple(_uncounted(entry) for entry in entries if entry.kind == "not_counted"),
    )


def _steps(state: ResponseState) -> tuple[tuple[str, ...], ...]:
    """Who each step paged; a state kept before steps were knows its current step only."""
    known = state.paged_by_step
    if state.step >= len(known) and state.paged:
        known = known + ((),) * (state.step - len(known)) + (state.paged,)
    return known


def _escalation(incident: Incident, policy: EscalationPolicy | None) -> str:
    if incident.status is not IncidentStatus.OPEN:
        return incident.status.value
    if incident.response.stopped is not None:
        return incident.response.stopped.value
    return "none" if policy is None else "running"


def _uncounted(entry: TimelineEntry) -> UncountedAnswer:
    data = entry.data
    return UncountedAnswer(
        at=entry.at,
        answer=str(data.get("answer", "")),
        contact_id=data.get("contact_id"),
        by=str(data.get("by", "")),
        credential=str(data.get("credential", "")),
        via=str(data.get("via", "")),
        why=str(data.get("why", "")),
        reason=str(data.get("reason", "")),
    )
