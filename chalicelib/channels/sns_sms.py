"""SMS through Amazon SNS ``Publish`` to a phone number."""

from __future__ import annotations

from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.model import Channel, Message, SendReceipt

INCIDENT_ATTRIBUTE = "tocsin.incident_id"


class SnsSmsChannel:
    channel = Channel.SMS

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        attributes = {
            # Crisis messages are transactional: AWS routes them for reliability, not price.
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if incident_id:  # SNS refuses an empty attribute (an answer to a HELP text has none)
            attributes[INCIDENT_ATTRIBUTE] = {"DataType": "String", "StringValue": incident_id}
        with send_errors("SNS Publish"):
            response = self._client.publish(
                PhoneNumber=destination, Message=message.body, MessageAttributes=attributes
            )
        return SendReceipt(message_id=str(response["MessageId"]))
