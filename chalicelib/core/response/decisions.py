"""What an answer decides, over plain values: an acknowledgement, a decline, or an answer that
does not count. Pure; :class:`chalicelib.core.response.answers.Responses` reads the incident,
calls one of these and stores what it returns.

    incident as read, who answers (an Answerer), the policy, whether an alert reached them
        ──▶ acknowledgement() / decline_by() ──▶ Answer      nothing to store ("already")
                                                 StateChange  a new state, conditional on the
                                                              version read, and its entry
                                                 Noted        an entry only: it does not count
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.core.credentials import Answerer
from chalicelib.core.model import Incident, ResponseState, Stop, TimelineEntry
from chalicelib.core.playbook.escalations import EscalationPolicy
from chalicelib.core.response.state import (
    NotCounted,
    quorum,
    why_not_counted,
    with_acknowledgement,
    with_decline,
)
from chalicelib.core.wording.phrases import say


@dataclass(frozen=True)
class Answer:
    """What happened; ``say`` puts it in words for the person (page, SMS reply, API, CLI)."""

    # acknowledged, counted, already, already_declined, declined, resolved; not_counted and
    # decline_not_counted: recorded, but the credential or the person does not count (``why``)
    outcome: str
    incident: Incident
    have: int = 0  # acknowledgements so far, and needed (counted: the quorum is not reached)
    needed: int = 0
    escalating: bool = False  # declined: the next level is paged now
    people: int = 0  # resolved: people told
    why: NotCounted | None = None
    answerer: Answerer | None = None

    @property
    def counted(self) -> bool:
        return self.why is None

    @property
    def message(self) -> str:
        return self.say("en")

    def say(self, language: str) -> str:
        title = self.incident.title
        if self.outcome == "counted":
            return (
                say(language, "acknowledged", title=title)
                + " "
                + say(language, "progress", have=self.have, needed=self.needed)
            )
        if self.outcome == "declined":
            text = say(language, "declined")
            return text + (" " + say(language, "escalating") if self.escalating else "")
        if self.outcome == "resolved":
            return say(language, "resolved", title=title, people=self.people)
        if self.why is not None and self.answerer is not None:
            reason = say(
                language,
                f"why_{self.why.value}",
                holder=self.answerer.describe(),
                person=self.answerer.contact_id,
            )
            return say(language, self.outcome, title=title) + " " + reason
        return say(language, self.outcome, title=title)


@dataclass(frozen=True)
class StateChange:
    """What an answer changes: the new response state, the entry that says so, and the
    answer to give once the state is stored."""

    state: ResponseState
    entry: TimelineEntry
    answer: Answer


@dataclass(frozen=True)
class Noted:
    """An answer that does not count: it changes no state (so it never holds up a tick that
    races it), only its entry is recorded."""

    entry: TimelineEntry
    answer: Answer


def acknowledgement(
    incident: Incident,
    answerer: Answerer,
    policy: EscalationPolicy | None,
    alerted: bool,
    now: datetime,
) -> Answer | StateChange | Noted:
    """An acknowledgement: escalation stops once enough people whose answers count have."""
    state = incident.response
    contact_id = answerer.contact_id
    if contact_id is not None and contact_id in state.acknowledged_by:
        return Answer("already", incident)
    why = why_not_counted(state, policy, answerer, alerted)
    if why is not None:
        return not_counted(incident, answerer, why, "acknowledged", now)
    assert contact_id is not None
    new = with_acknowledgement(state, contact_id, policy)
    needed, have = quorum(policy, state), len(new.acknowledged_by)
    stopped = new.stopped is Stop.ACKNOWLEDGED and state.stopped is None
    progress = f" ({have} of {needed} needed)" if have < needed else ""
    summary = f"acknowledged by {contact_id} via {answerer.via}" + progress
    if stopped and state.policy_id:
        summary += "; escalation stopped"
    entry = TimelineEntry(
        at=now,
        kind="acknowledged",
        summary=summary,
        data={**answerer.document(), "have": have, "needed": needed, "step": state.step},
        key=f"ack-{contact_id}",
    )
    outcome = "acknowledged" if have >= needed else "counted"
    return StateChange(new, entry, Answer(outcome, replace(incident, response=new), have, needed))


def decline_by(
    incident: Incident,
    answerer: Answerer,
    policy: EscalationPolicy | None,
    alerted: bool,
    now: datetime,
) -> Answer | StateChange | Noted:
    """ "I can't respond": when everyone paged at this level says so, the next is due now."""
    state = incident.response
    contact_id = answerer.contact_id
    if contact_id is not None and contact_id in state.declined_by:
        return Answer("already_declined", incident)
    why = why_not_counted(state, policy, answerer, alerted)
    if why is not None:
        return not_counted(incident, answerer, why, "declined", now)
    assert contact_id is not None
    new = with_decline(state, contact_id, now)
    entry = TimelineEntry(
        at=now,
        kind="declined",
        summary=f"{contact_id} can't respond (via {answerer.via})",
        data={**answerer.document(), "step": state.step},
        key=f"decline-{contact_id}-{state.step}",
    )
    escalating = new.is_due(now) and not state.is_due(now)
    answer = Answer("declined", replace(incident, response=new), escalating=escalating)
    return StateChange(new, entry, answer)


def not_counted(
    incident: Incident, answerer: Answerer, why: NotCounted, verb: str, now: datetime
) -> Noted:
    """Recorded with who made it and why it does not count; nothing else changes."""
    state = incident.response
    named = answerer.contact_id
    who = answerer.describe()
    behalf = f" for {named}" if named and named != who else ""
    reason = why.explain(answerer, state.policy_id)
    entry = TimelineEntry(
        at=now,
        kind="not_counted",
        summary=f"{who} {verb}{behalf} via {answerer.via}; not counted: {reason}",
        data={**answerer.document(), "answer": verb, "why": why.value, "reason": reason},
        key=f"not-counted-{verb}-{who}-{named or ''}-{state.step}",
    )
    outcome = "not_counted" if verb == "acknowledged" else "decline_not_counted"
    return Noted(entry, Answer(outcome, incident, why=why, answerer=answerer))
