"""Where an incident stands in its escalation policy after an acknowledgement or a decline. Pure.

The incident's :class:`ResponseState` records the step it is at (counting repeats), when the next
one is due, and who acknowledged or declined; every change to it is a conditional write on its
``version``, so two ticks, or a tick racing an acknowledgement, never escalate twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.core.model import ResponseState, Stop
from chalicelib.core.playbook.escalations import EscalationPolicy


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
