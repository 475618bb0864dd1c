"""How a statement travels through an audience's outlet: which channel, to which address, as
which message. Pure; the channels are the dispatcher's own senders (SNS for the stakeholder
topic, SES for a distribution list), paced to the same quotas."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.model import STAKEHOLDERS, Channel, Message
from chalicelib.core.playbook.audiences import Outlet, OutletKind
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
