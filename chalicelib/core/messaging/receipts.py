"""What happened to a message after AWS accepted it: delivery receipts, read into one shape and
recorded on the send ledger and the timeline; a dead address is not used again.

Three feeds arrive through the delivery-events SNS topic:

- SES event publishing (``eventType``: Delivery, Bounce, Complaint, DeliveryDelay, Reject, ...),
  keyed by ``mail.messageId``;
- SNS SMS delivery status (``notification.messageId``, ``status`` SUCCESS or FAILURE);
- End User Messaging SMS and voice events (``eventType`` TEXT_DELIVERED, TEXT_BLOCKED,
  VOICE_COMPLETED, ...), keyed by ``messageId``.

Parsing is pure. A report never carries the address or number it was about (the ledger knows
who it was);
``unusable`` says the person's address for that channel should not be used again (a permanent
bounce, a complaint, a number that cannot receive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.model import Channel, NotificationJob, TimelineEntry
from chalicelib.core.ports import Clock


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    DELAYED = "delayed"
    FAILED = "failed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str  # AWS's id, as the channel's SendReceipt recorded it
    status: DeliveryStatus
    detail: str
    unusable: bool = False
    source: str = ""  # ses | sns-sms | eum


_EUM_DELIVERED = {"TEXT_DELIVERED", "TEXT_SUCCESSFUL", "VOICE_COMPLETED", "VOICE_ANSWERED"}
_EUM_DELAYED = {"TEXT_PENDING", "TEXT_QUEUED", "VOICE_INITIATED", "VOICE_RINGING"}
# Final failures that say the number itself will not work (as opposed to "try later").
_EUM_UNUSABLE = {"TEXT_INVALID", "TEXT_BLOCKED", "TEXT_CARRIER_UNREACHABLE", "TEXT_SPAM"}
_EUM_FAILED = {
    "TEXT_TTL_EXPIRED",
    "TEXT_UNREACHABLE",
    "TEXT_UNKNOWN",
    "TEXT_INVALID_MESSAGE",
    "TEXT_CARRIER_BLOCKED",
    "TEXT_PROTECT_BLOCKED",
    "VOICE_FAILED",
    "VOICE_BUSY",
    "VOICE_NO_ANSWER",
    "VOICE_TTL_EXPIRED",
}


def parse_delivery(message: Any) -> DeliveryReport | None:
    """The report in one SNS message body (already JSON-decoded); None for events that say
    nothing about delivery (Send, Open, Click, ...); InvalidEvent when it is none of the feeds."""
    if not isinstance(message, Mapping):
        raise InvalidEvent("Message", "a delivery event must be a JSON object")
    if "mail" in message and ("eventType" in message or "notificationType" in message):
        return _ses(message)
    if "notification" in message and "status" in message:
        return _sns_sms(message)
    if "messageId" in message and "eventType" in message:
        return _eum(message)
    raise InvalidEvent("Message", "not an SES, SNS SMS or End User Messaging delivery event")


def _ses(message: Mapping[str, Any]) -> DeliveryReport | None:
    kind = str(message.get("eventType") or message.get("notificationType"))
    message_id = _text(message.get("mail", {}).get("messageId"), "mail.messageId")
    if kind == "Delivery":
        return DeliveryReport(message_id, DeliveryStatus.DELIVERED, "delivered", source="ses")
    if kind == "DeliveryDelay":
        delay = message.get("deliveryDelay", {})
        return DeliveryReport(
            message_id,
            DeliveryStatus.DELAYED,
            f"delayed: {delay.get('delayType', 'unknown')}",
            source="ses",
        )
    if kind == "Bounce":
        bounce = message.get("bounce", {})
        permanent = bounce.get("bounceType") == "Permanent"
        return DeliveryReport(
            message_id,
            DeliveryStatus.BOUNCED,
            f"{bounce.get('bounceType', 'Unknown').lower()} bounce "
            f"({bounce.get('bounceSubType', 'General')})",
            unusable=permanent,
            source="ses",
        )
    if kind == "Complaint":
        return DeliveryReport(
            message_id,
            DeliveryStatus.COMPLAINED,
            "the recipient marked the message as spam",
            unusable=True,
            source="ses",
        )
    if kind in ("Reject", "Rendering Failure", "RenderingFailure"):
        return DeliveryReport(message_id, DeliveryStatus.FAILED, kind.lower(), source="ses")
    return None  # Send, Open, Click, Subscription: nothing about delivery


def _sns_sms(message: Mapping[str, Any]) -> DeliveryReport:
    notification = message.get("notification", {})
    message_id = _text(notification.get("messageId"), "notification.messageId")
    delivery = message.get("delivery", {})
    response = str(delivery.get("providerResponse") or "")
    if message.get("status") == "SUCCESS":
        return DeliveryReport(message_id, DeliveryStatus.DELIVERED, "delivered", source="sns-sms")
    # SNS says the number is invalid or opted out in the provider response's words.
    lowered = response.lower()
    unusable = "invalid" in lowered or "opted out" in lowered or "blocked" in lowered
    return DeliveryReport(
        message_id, DeliveryStatus.FAILED, response or "failed", unusable, source="sns-sms"
    )


def _eum(message: Mapping[str, Any]) -> DeliveryReport | None:
    kind = str(message["eventType"])
    message_id = _text(message.get("messageId"), "messageId")
    detail = str(message.get("messageStatusDescription") or kind)
    if kind in _EUM_DELIVERED:
        return DeliveryReport(message_id, DeliveryStatus.DELIVERED, detail, source="eum")
    if kind in _EUM_DELAYED:
        return DeliveryReport(message_id, DeliveryStatus.DELAYED, detail, source="eum")
    if kind in _EUM_UNUSABLE:
        return DeliveryReport(message_id, DeliveryStatus.FAILED, detail, True, source="eum")
    if kind in _EUM_FAILED:
        return DeliveryReport(message_id, DeliveryStatus.FAILED, detail, source="eum")
    return None


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidEvent(field, "is required")
    return value


class DeliveryLedger(Protocol):
    def find_sent(self, message_id: str) -> NotificationJob | None: ...

    def record_delivery(
        self, job: NotificationJob, report: DeliveryReport, entry: TimelineEntry
    ) -> None: ...


class UsableAddresses(Protocol):
    def mark_unusable(self, contact_id: str, channel: Channel) -> bool: ...


@dataclass(frozen=True)
class Tracked:
    known: bool  # False: a message Tocsin did not send (or whose pointer expired)
    marked_unusable: bool = False
    incident_id: str | None = None  # the incident the message was about


class DeliveryTracker:
    def __init__(self, ledger: DeliveryLedger, contacts: UsableAddresses, clock: Clock) -> None:
        self._ledger = ledger
        self._contacts = contacts
        self._clock = clock

    def record(self, report: DeliveryReport) -> Tracked:
        job = self._ledger.find_sent(report.message_id)
        if job is None:
            return Tracked(known=False)
        summary = f"{job.channel.value} to {job.contact_id} {report.status.value}: {report.detail}"
        marked = False
        if report.unusable:
            # The same words on every redelivery of the event: its timeline entry is keyed.
            marked = self._contacts.mark_unusable(job.contact_id, job.channel)
            summary += f"; this {job.channel.value} address will not be used again"
        self._ledger.record_delivery(
            job,
            report,
            TimelineEntry(
                at=self._clock.now(),
                kind=f"delivery_{report.status.value}",
                summary=summary,
                data={
                    "contact_id": job.contact_id,
                    "channel": job.channel.value,
                    "step": job.step,
                    "status": report.status.value,
                    "detail": report.detail,
                    "source": report.source,
                    "unusable": report.unusable,
                    "notice": job.notice.value,
                },
                # Once per message and status, however often SNS delivers the event.
                key=f"delivery-{report.message_id}-{report.status.value}",
            ),
        )
        return Tracked(known=True, marked_unusable=marked, incident_id=job.incident_id)
