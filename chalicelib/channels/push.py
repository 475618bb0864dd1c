"""Push notifications through Pinpoint ``SendMessages`` with device addresses (APNs, FCM).

The messaging API that continues under AWS End User Messaging after Pinpoint's end of support:
no endpoints, segments, campaigns or journeys, only direct sends to device tokens. One call
reaches every device of the person (up to 100 addresses); the per-address results decide the
outcome: any success is a send, otherwise throttling or a temporary failure is transient and
the rest (bad or expired tokens, opt-outs) permanent.
"""

from __future__ import annotations

from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import Channel, Message, SendReceipt

MAX_ADDRESSES = 100
CHANNEL_TYPES = {"apns": "APNS", "fcm": "GCM"}  # Pinpoint still calls FCM "GCM"
_TRANSIENT = {"THROTTLED", "TEMPORARY_FAILURE", "UNKNOWN_FAILURE"}


def addresses(tokens: str) -> dict[str, dict[str, str]]:
    """``apns:<token>;fcm:<token>`` (as the contact keeps them) to SendMessages addresses."""
    found: dict[str, dict[str, str]] = {}
    for entry in tokens.split(";")[:MAX_ADDRESSES]:
        kind, _, token = entry.partition(":")
        if kind in CHANNEL_TYPES and token:
            found[token] = {"ChannelType": CHANNEL_TYPES[kind]}
    return found


class PinpointPushChannel:
    channel = Channel.PUSH

    def __init__(self, client: Any, application_id: str) -> None:
        self._client = client
        self._application_id = application_id

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        devices = addresses(destination)
        if not devices:
            raise PermanentSendError("NoDevice", "no APNs or FCM token")
        notification = {
            "Title": message.subject or "Tocsin",
            "Body": message.body,
            "Priority": "high",
            "Data": {"incident_id": incident_id},
        }
        with send_errors("Pinpoint SendMessages"):
            response = self._client.send_messages(
                ApplicationId=self._application_id,
                MessageRequest={
                    "Addresses": devices,
                    "Context": {"incident_id": incident_id},
                    "MessageConfiguration": {
                        "APNSMessage": {**notification, "Priority": "10"},
                        "GCMMessage": notification,
                    },
                },
            )
        results = response["MessageResponse"].get("Result", {})
        delivered = [r for r in results.values() if r.get("DeliveryStatus") == "SUCCESSFUL"]
        if delivered:
            return SendReceipt(message_id=str(delivered[0].get("MessageId", "")))
        statuses = sorted({str(r.get("DeliveryStatus")) for r in results.values()})
        if any(status in _TRANSIENT for status in statuses):
            raise TransientSendError(statuses[0], "Pinpoint SendMessages: no device reached yet")
        raise PermanentSendError(
            statuses[0] if statuses else "NoResult",
            "Pinpoint SendMessages: every device refused (" + ", ".join(statuses) + ")",
        )
