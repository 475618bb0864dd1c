"""The tabletop drill: what a drill of a plan would do, worked out and sent nowhere.

For the plan's first notifications and each escalation level (step 1, 2, ...), every person on
the roster it would reach: the channel, the language their message is written in, the text,
the SMS parts, and the estimated price (the playbook's price table, as the budget prices a
send); then the gaps: people with no usable channel, levels whose on-call shift nobody covers,
people whose language has no template (they would read the fallback language).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.messaging.planning import Gap, on_roster, plan_notifications
from chalicelib.core.model import Channel, Contact, Incident
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.response.next_step import plan_level
from chalicelib.core.spend.cost import SAMPLE_ACK
from chalicelib.core.spend.meter import charge
from chalicelib.core.wording.segments import count_segments
from chalicelib.core.wording.templates import render_message


@dataclass(frozen=True)
class PlannedMessage:
    step: int  # 0: the plan's own notifications; 1, 2...: escalation levels
    contact_id: str
    channel: Channel
    language: str  # the template language the message is written in
    text: str  # the body (an email: its subject, a blank line, its text)
    sms_parts: int  # 0 on other channels
    usd: float


@dataclass(frozen=True)
class TabletopPlan:
    messages: tuple[PlannedMessage, ...]
    gaps: tuple[str, ...]

    @property
    def people(self) -> int:
        return len({message.contact_id for message in self.messages})

    @property
    def usd(self) -> float:
        return round(sum(message.usd for message in self.messages), 6)

    @property
    def sms_parts(self) -> int:
        return sum(message.sms_parts for message in self.messages)

    def summary(self) -> str:
        return (
            f"{len(self.messages)} messages to {self.people} people, {self.sms_parts} SMS "
            f"parts, about {self.usd:.4f} USD; {len(self.gaps)} gaps"
        )


def tabletop(
    incident: Incident,
    playbook: Playbook,
    contacts: Sequence[Contact],
    escalator: Escalator | None,
    now: datetime,
) -> TabletopPlan:
    """The plan of a drill whose incident would be ``incident`` (carrying the roster),
    ``contacts`` being those the plan's targets name."""
    plan = playbook.plan(incident.plan_id)
    templates = playbook.templates_for(incident.plan_id)
    prices = playbook.spending.prices
    planned = plan_notifications(incident.incident_id, plan, on_roster(incident, contacts))
    gaps: list[Gap] = list(planned.gaps)
    jobs = [(0, job) for job in planned.jobs]
    people: dict[str, Contact] = {contact.contact_id: contact for contact in contacts}
    policy = playbook.escalation(plan.escalation)
    if policy is not None and escalator is not None:
        for step in range(policy.steps):
            level = policy.level(step)
            roster = escalator.level_roster(playbook, level, now, incident)
            people.update((contact.contact_id, contact) for contact in roster.people)
            level_plan = plan_level(incident.incident_id, policy, step, roster)
            gaps += level_plan.gaps
            jobs += [(step + 1, job) for job in level_plan.jobs]
    messages = []
    missing: dict[str, str] = {}
    for step, job in jobs:
        person = people[job.contact_id]
        message = render_message(
            incident, job.channel, person.language, templates, SAMPLE_ACK, job.notice
        )
        used = message.language or templates.source("sms", person.language)[0]
        if used.split("-")[0] != person.language.split("-")[0]:
            missing[job.contact_id] = f"{person.language} (reads {used})"
        text = f"{message.subject}\n\n{message.body}" if message.subject else message.body
        parts = count_segments(message.body).segments if job.channel is Channel.SMS else 0
        price = charge(job.channel, person.destination(job.channel), message, prices)
        messages.append(
            PlannedMessage(step, job.contact_id, job.channel, used, text, parts, price.usd)
        )
    notes = [_describe(gap) for gap in gaps]
    notes += [f"{who}: no template in {what}" for who, what in sorted(missing.items())]
    return TabletopPlan(tuple(messages), tuple(dict.fromkeys(notes)))


def _describe(gap: Gap) -> str:
    return f"{gap.role}: {gap.reason}" + (f" ({gap.contact_id})" if gap.contact_id else "")


def plan_document(plan: TabletopPlan) -> Mapping[str, object]:
    """The plan as the API and the command show it."""
    return {
        "people": plan.people,
        "messages": [
            {
                "step": m.step,
                "contact_id": m.contact_id,
                "channel": m.channel.value,
                "language": m.language,
                "text": m.text,
                "sms_parts": m.sms_parts,
                "usd": m.usd,
            }
            for m in plan.messages
        ],
        "sms_parts": plan.sms_parts,
        "estimated_usd": plan.usd,
        "gaps": list(plan.gaps),
        "summary": plan.summary(),
    }
