"""Where an incident stands in its escalation policy after an acknowledgement or a decline, and
whose answers count. Pure.

The incident's :class:`ResponseState` records the step it is at (counting repeats), who each step
paged, when the next one is due, and who acknowledged or declined; every change to it is a
conditional write on its ``version``, so two ticks, or a tick racing an acknowledgement, never
escalate twice.

An answer counts (toward the quorum; a decline toward paging the next level at once) only when
it is made with a credential bound to the person (:mod:`chalicelib.core.credentials`) by someone
a step of the escalation policy has paged so far: the current level or an earlier one. People the
plan only informed (its ``notify``) and outsiders are recorded, and do not count. Without an
escalation policy, everyone the plan alerted counts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from chalicelib.core.credentials import Answerer
from chalicelib.core.model import ResponseState, Stop
from chalicelib.core.playbook.escalations import EscalationPolicy


class NotCounted(StrEnum):
    """Why an answer is recorded without counting."""

    NOT_A_PERSON = "not_a_person"  # a monitoring tool's event: it answers for nobody
    NOT_BOUND = "not_bound"  # a shared key or AWS credentials, not the person's own
    NOT_PAGED = "not_paged"  # the person was never alerted for the incident
    NOT_AT_LEVEL = "not_at_level"  # alerted otherwise (the plan's notify), not by a level

    def explain(self, answerer: Answerer, policy_id: str | None) -> str:
        """The reason in words, for the timeline and the API."""
        who = answerer.contact_id
        if self is NotCounted.NOT_A_PERSON:
            return "a monitoring event answers for no person"
        if self is NotCounted.NOT_BOUND:
            return (
                f"made with {answerer.describe()}, not with {who}'s own link, reply code or "
                "personal key"
            )
        if self is NotCounted.NOT_PAGED:
            return f"{who} was not paged for this incident"
        return f"{who} was informed, not paged at a level of {policy_id} so far"


def why_not_counted(
    state: ResponseState, policy: EscalationPolicy | None, answerer: Answerer, alerted: bool
) -> NotCounted | None:
    """None when the answer counts; else why not. ``alerted``: the person holds a pass for
    the incident (an alert reached them)."""
    if answerer.contact_id is None:
        return NotCounted.NOT_A_PERSON
    if not answerer.person_bound:
        return NotCounted.NOT_BOUND
    if not alerted:
        return NotCounted.NOT_PAGED
    if policy is not None and answerer.contact_id not in state.paged_so_far:
        return NotCounted.NOT_AT_LEVEL
    return None


def quorum(policy: EscalationPolicy | None, state: ResponseState) -> int:
    """Acknowledgements needed now: the current level's quorum (1 without a policy)."""
    if policy is None or state.step < 0:
        return 1
    return policy.level(min(state.step, policy.steps - 1)).quorum


def with_acknowledgement(
    state: ResponseState, contact_id: str, policy: EscalationPolicy | None
) -> ResponseState:
    acknowledged = (*state.acknowledged_by, contact_id)
    reached = len(acknowledged) >= quorum(policy, state)
    return replace(
        state,
        acknowledged_by=acknowledged,
        declined_by=tuple(c for c in state.declined_by if c != contact_id),
        stopped=Stop.ACKNOWLEDGED if reached and state.stopped is None else state.stopped,
        due_at=None if reached else state.due_at,
        version=state.version + 1,
    )


def with_decline(state: ResponseState, contact_id: str, now: datetime) -> ResponseState:
    """Someone can't respond; when everyone paged at this step has said so, escalate now."""
    declined = (*state.declined_by, contact_id)
    everyone = bool(state.paged) and set(state.paged) <= set(declined)
    due = now if everyone and state.stopped is None and state.due_at is not None else state.due_at
    return replace(state, declined_by=declined, due_at=due, version=state.version + 1)
