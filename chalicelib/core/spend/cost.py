"""The cost of an incident: what was handed to AWS, and what a fan-out will cost before it starts.

Each ``notification_sent`` timeline entry records its message's units and estimated price
(written in the same transaction as the ledger's 'sent'), so an incident's cost is the sum of
its timeline: exact in messages and units, an estimate in dollars. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.model import Channel, Contact, Incident, NotificationJob, TimelineEntry
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.spend.meter import Charge, charge
from chalicelib.core.wording.templates import AckInfo, TemplateSet, render_message

# A link and reply code of typical length (an API Gateway address), so SMS parts are estimated
# for the messages as they will be: the real ones are known only at sending.
SAMPLE_LINK = "https://abcdefghij.execute-api.eu-west-1.amazonaws.com/api/a/" + "a" * 16
SAMPLE_ACK = AckInfo(SAMPLE_LINK, "0000")


@dataclass(frozen=True)
class IncidentCost:
    sms_messages: int = 0
    sms_parts: int = 0
    voice_calls: int = 0
    voice_minutes: int = 0
    emails: int = 0
    push: int = 0
    statements: int = 0  # published to the stakeholder topic (its subscribers are not counted)
    estimated_usd: float = 0.0

    @property
    def messages(self) -> int:
        return self.sms_messages + self.voice_calls + self.emails + self.push + self.statements

    def to_document(self, prices_source: str) -> dict[str, Any]:
        return {
            "sms_messages": self.sms_messages,
            "sms_parts": self.sms_parts,
            "voice_calls": self.voice_calls,
            "voice_minutes": self.voice_minutes,
            "emails": self.emails,
            "push": self.push,
            "statements": self.statements,
            "estimated_usd": round(self.estimated_usd, 4),
            "currency": "USD",
            "prices": f"an estimate from the price table: {prices_source}",
        }

    def describe(self) -> str:
        """``5 SMS (5 parts), 6 emails, 1 statement: about $0.0446``."""
        parts = []
        if self.sms_messages:
            parts.append(f"{self.sms_messages} SMS ({self.sms_parts} parts)")
        if self.voice_calls:
            parts.append(f"{self.voice_calls} calls ({self.voice_minutes} minutes)")
        others = ((self.emails, "email"), (self.push, "push"), (self.statements, "statement"))
        for count, name in others:
            if count:
                parts.append(f"{count} {name}{'s' if count > 1 and name != 'push' else ''}")
        return f"{', '.join(parts) or 'nothing'}: about ${self.estimated_usd:.4f}"


def add_up(charges: Iterable[Charge]) -> IncidentCost:
    counts = {channel: 0 for channel in Channel}
    units = {channel: 0 for channel in Channel}
    usd = 0.0
    for each in charges:
        counts[each.channel] += 1
        units[each.channel] += each.units
        usd += each.usd
    return IncidentCost(
        sms_messages=counts[Channel.SMS],
        sms_parts=units[Channel.SMS],
        voice_calls=counts[Channel.VOICE],
        voice_minutes=units[Channel.VOICE],
        emails=counts[Channel.EMAIL],
        push=counts[Channel.PUSH],
        statements=counts[Channel.BROADCAST],
        estimated_usd=usd,
    )


def incident_cost(timeline: Iterable[TimelineEntry]) -> IncidentCost:
    """What the incident's messages cost, from its ``notification_sent`` entries and the
    ``statement_sent`` entries of its published statements."""
    return add_up(
        Charge(
            Channel(entry.data["channel"]),
            int(entry.data.get("units", 1)),
            float(entry.data.get("usd", 0.0)),
            str(entry.data.get("price_row", "default")),
        )
        for entry in timeline
        if entry.kind in ("notification_sent", "statement_sent")
    )


def estimate_fan_out(
    incident: Incident,
    jobs: Sequence[NotificationJob],
    contacts: Mapping[str, Contact],
    templates: TemplateSet,
    prices: Prices,
) -> IncidentCost:
    """What ``jobs`` will cost: each message rendered as it will be (once per channel and
    language), priced by its destination's country."""
    rendered: dict[tuple[Channel, str], Any] = {}
    charges = []
    for job in jobs:
        contact = contacts.get(job.contact_id)
        language = contact.language if contact else templates.fallback_language
        key = (job.channel, language)
        if key not in rendered:
            rendered[key] = render_message(
                incident, job.channel, language, templates, SAMPLE_ACK, job.notice
            )
        destination = contact.destination(job.channel) if contact else None
        charges.append(charge(job.channel, destination, rendered[key], prices))
    return add_up(charges)


def estimate_entry(estimate: IncidentCost, source: str, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="cost_estimate",
        summary=f"before the fan-out of {estimate.messages} messages, estimated cost: "
        f"{estimate.describe()} (from the price table; not a bill)",
        data=estimate.to_document(source),
        key="cost-estimate",
    )
