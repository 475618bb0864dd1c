"""How a statement travels through an audience's outlet: which channel, to which address, as
which message. Pure; the channels are the dispatcher's own senders (SNS for the stakeholder
topic, SES for a distribution list), paced to the same quotas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.errors import SendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import STAKEHOLDERS, Channel, Message, TimelineEntry
from chalicelib.core.playbook.audiences import Outlet, OutletKind
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.spend.meter import charge
from chalicelib.core.statements import records
from chalicelib.core.statements.ports import Statement
from chalicelib.core.wording.templates import html_from_text


@dataclass(frozen=True)
class Delivery:
    channel: Channel
    destination: str
    message: Message


def delivery(statement: Statement, outlet: Outlet) -> Delivery:
    """The statement exactly as approved: its subject and body, nothing added."""
    if outlet.kind is OutletKind.TOPIC:
        message = Message(body=statement.body, subject=statement.subject)
        return Delivery(Channel.BROADCAST, STAKEHOLDERS, message)
    message = Message(
        body=statement.body,
        subject=statement.subject,
        html=html_from_text(statement.body, statement.language),
        language=statement.language,
    )
    return Delivery(Channel.EMAIL, outlet.address, message)


def send_through(
    senders: Mapping[Channel, ChannelSender],
    statement: Statement,
    outlet: Outlet,
    prices: Prices,
    now: datetime,
) -> TimelineEntry:
    """Hand the statement to the outlet's channel; its ``statement_sent`` entry, priced."""
    outgoing = delivery(statement, outlet)
    sender = senders.get(outgoing.channel)
    if sender is None:
        raise SendError("not_configured", f"no {outgoing.channel.value} channel here")
    receipt = sender.send(outgoing.destination, outgoing.message, statement.incident_id)
    cost = charge(outgoing.channel, None, outgoing.message, prices)
    return records.sent_entry(statement, outlet, outgoing.channel, receipt, cost, now)
