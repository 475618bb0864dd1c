"""Push notifications through Pinpoint ``SendMessages`` with device addresses (APNs, FCM).

The messaging API that continues under AWS End User Messaging after Pinpoint's end of support:
no endpoints, segments, campaigns or journeys, only direct sends to device tokens. One call
holds up to 100 addresses, across people: each address carries its person's own title and body
(``TitleOverride``, ``BodyOverride``), since every alert has its own acknowledgement link; the
link itself rides in the address's ``Context`` (``ack_url``, in the app's ``data.pinpoint``), so
the app can open the answer page when the alert is tapped. The per-address results decide each
person's outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.errors import PermanentSendError, SendError, TransientSendError
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
    """One person's devices per ``send``; ``send_batch`` puts several people (up to 100
    addresses) in one call, each with their own title and body as per-address overrides."""

    channel = Channel.PUSH
    batch_addresses = MAX_ADDRESSES

    def __init__(self, client: Any, application_id: str) -> None:
        self._client = client
        self._application_id = application_id

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        [outcome] = self.send_batch([(destination, message)], incident_id)
        if isinstance(outcome, SendError):
            raise outcome
        return outcome

    def send_batch(
        self, items: Sequence[tuple[str, Message]], incident_id: str
    ) -> list[SendReceipt | SendError]:
        """One SendMessages call for every item; an outcome per item, in order. A failure of
        the whole call (throttling, say) raises, and the caller retries the batch."""
        owners: dict[str, int] = {}
        devices: dict[str, dict[str, Any]] = {}
        for index, (destination, message) in enumerate(items):
            for token, address in addresses(destination).items():
                owners.setdefault(token, index)
                devices[token] = {
                    **address,
                    "TitleOverride": message.subject or "Tocsin",
                    "BodyOverride": message.body,
                    "Context": {"incident_id": incident_id}
                    | ({"ack_url": message.link} if message.link else {}),
                }
        if len(devices) > MAX_ADDRESSES:
            raise ValueError(f"at most {MAX_ADDRESSES} addresses a call; got {len(devices)}")
        results: dict[str, Any] = {}
        if devices:
            results = self._call(devices, items[0][1], incident_id)
        outcomes: list[SendReceipt | SendError] = []
        for index in range(len(items)):
            mine = [r for token, r in results.items() if owners.get(token) == index]
            outcomes.append(_outcome(mine))
        return outcomes

    def _call(
        self, devices: dict[str, dict[str, Any]], first: Message, incident_id: str
    ) -> dict[str, Any]:
        notification = {
            "Title": first.subject or "Tocsin",
            "Body": first.body,
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
        return dict(response["MessageResponse"].get("Result", {}))


def _outcome(results: list[Any]) -> SendReceipt | SendError:
    """Any device reached is a send; otherwise throttling or a temporary failure is transient,
    and the rest (bad or expired tokens, opt-outs) permanent."""
    if not results:
        return PermanentSendError("NoDevice", "no APNs or FCM token")
    delivered = [r for r in results if r.get("DeliveryStatus") == "SUCCESSFUL"]
    if delivered:
        return SendReceipt(message_id=str(delivered[0].get("MessageId", "")))
    statuses = sorted({str(r.get("DeliveryStatus")) for r in results})
    if any(status in _TRANSIENT for status in statuses):
        return TransientSendError(statuses[0], "Pinpoint SendMessages: no device reached yet")
    return PermanentSendError(
        statuses[0],
        "Pinpoint SendMessages: every device refused (" + ", ".join(statuses) + ")",
    )
