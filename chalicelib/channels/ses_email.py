"""Email through Amazon SES v2 ``SendEmail`` (simple content: plain text and HTML)."""

from __future__ import annotations

from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.model import Channel, Message, SendReceipt

INCIDENT_TAG = "incident_id"


class SesEmailChannel:
    channel = Channel.EMAIL

    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        arguments: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [destination]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject or "Tocsin alert", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.body, "Charset": "UTF-8"},
                        **(
                            {"Html": {"Data": message.html, "Charset": "UTF-8"}}
                            if message.html
                            else {}
                        ),
                    },
                }
            },
            # The tag lets delivery events (issue: delivery tracking) find their incident.
            "EmailTags": [{"Name": INCIDENT_TAG, "Value": incident_id}],
        }
        if self._configuration_set:
            arguments["ConfigurationSetName"] = self._configuration_set
        with send_errors("SES SendEmail"):
            response = self._client.send_email(**arguments)
        return SendReceipt(message_id=str(response["MessageId"]))
