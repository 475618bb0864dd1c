"""A one-way statement to the stakeholder SNS topic (staff and others subscribe themselves)."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.channels.sns_sms import INCIDENT_ATTRIBUTE
from chalicelib.core.model import Channel, Message, SendReceipt

# SNS subjects: printable ASCII, one line, at most 100 characters.
_SUBJECT = re.compile(r"[ -~]{1,100}")


class SnsTopicChannel:
    channel = Channel.BROADCAST

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        arguments: dict[str, Any] = {
            "TopicArn": self._topic_arn,
            "Message": message.body,
            "MessageAttributes": {
                INCIDENT_ATTRIBUTE: {"DataType": "String", "StringValue": incident_id}
            },
        }
        subject = (message.subject or "")[:100]
        if _SUBJECT.fullmatch(subject):
            arguments["Subject"] = subject
        with send_errors("SNS Publish (stakeholders)"):
            response = self._client.publish(**arguments)
        return SendReceipt(message_id=str(response["MessageId"]))
