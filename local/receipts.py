"""What AWS publishes once a message it took has reached (or not) the phone or the mailbox,
played locally: a delivery event in AWS's own shape, on the local delivery-events topic.

    sesv2:SendEmail                          -> SES event publishing, eventType Delivery
    sns:Publish to a number                  -> SNS SMS delivery status, status SUCCESS
    pinpoint-sms-voice-v2:SendTextMessage    -> End User Messaging TEXT_DELIVERED
    pinpoint-sms-voice-v2:SendVoiceMessage   -> End User Messaging VOICE_COMPLETED

(On AWS, SNS writes SMS delivery status only to CloudWatch Logs, and a subscription filter
hands it to ``track_sms_status``; here the same record takes the delivery-events topic, which
``track_deliveries`` reads too.) Push (Pinpoint ``SendMessages``) reports nothing afterwards,
on AWS as here, and topics get no receipts.

A channel can be made silent: the stand-in still takes its messages and says nothing
afterwards, which is how a missing event destination, an unset SNS delivery-status role or a
carrier black hole looks from Tocsin. The local server serves this at ``/_local/receipts``;
tests use :class:`MotoCarrier` to do in-process what the server does on every request.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from local.identity import LOCAL_NUMBER
from local.outbox import OutboxMessage

ACCOUNT = "123456789012"
REGION = "us-east-1"
DELIVERY_TOPIC = "tocsin-delivery-events"
SENDER = "tocsin@example.com"
# The channels whose AWS service reports deliveries (push does not).
RECEIPT_CHANNELS = ("sms", "email", "voice")
_APIS = {
    "sesv2:SendEmail": "email",
    "sns:Publish": "sms",
    "pinpoint-sms-voice-v2:SendTextMessage": "sms",
    "pinpoint-sms-voice-v2:SendVoiceMessage": "voice",
}
Publish = Callable[[str], bool]  # the event's JSON onto the topic; False when there is none


def delivery_event(message: OutboxMessage, now: datetime, sender: str = SENDER) -> dict[str, Any]:
    """The event AWS publishes when ``message`` was delivered (``receipt_channel`` says
    whether it has one)."""
    sent = datetime.fromisoformat(message.time)
    if message.api == "sesv2:SendEmail":
        return _ses_delivery(message, sent, now, sender)
    if message.api == "sns:Publish":
        return _sns_sms_status(message, sent, now)
    return _end_user_messaging(message, sent, now)


def receipt_channel(message: OutboxMessage) -> str | None:
    """The channel a message is reported on, or None when AWS reports nothing for it."""
    if message.api == "sns:Publish" and message.channel != "sms":
        return None  # a topic: its subscribers get it, nobody reports back
    return _APIS.get(message.api)


class DeliveryReceipts:
    """Publishes a delivery event for every message handed over, but on silent channels.

    ``delay``: seconds between taking a message and reporting it. The local server waits a
    moment, as AWS does, so that the dispatcher has recorded the message id the event names
    (an event for an id not recorded yet is dropped as unknown). One thread reports them in
    the order they were taken, however many there are."""

    def __init__(self, publish: Publish, sender: str = SENDER, delay: float = 0.0) -> None:
        self._publish = publish
        self._sender = sender
        self._delay = delay
        self._lock = threading.Lock()
        self._silent: set[str] = set()
        self.published = 0
        self.withheld = 0
        self._later: queue.Queue[tuple[float, OutboxMessage]] = queue.Queue()
        self._reporter: threading.Thread | None = None

    @property
    def silent(self) -> list[str]:
        with self._lock:
            return sorted(self._silent)

    def silence(self, channels: Iterable[str]) -> list[str]:
        """Make exactly ``channels`` silent (the others report again); ValueError names an
        unknown one."""
        wanted = set(channels)
        unknown = sorted(wanted - set(RECEIPT_CHANNELS))
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a channel with receipts: {', '.join(RECEIPT_CHANNELS)}"
            )
        with self._lock:
            self._silent = wanted
        return self.silent

    def handed_over(self, message: OutboxMessage) -> str:
        """What became of the message's receipt: published (or scheduled, with a delay),
        withheld (a silent channel), no receipt (AWS sends none for it), or no topic."""
        channel = receipt_channel(message)
        if channel is None:
            return "no receipt"
        with self._lock:
            if channel in self._silent:
                self.withheld += 1
                return "withheld"
        if self._delay:
            self._later.put((time.monotonic() + self._delay, message))
            self._start_reporter()
            return "scheduled"
        return self._report(message)

    def _start_reporter(self) -> None:
        with self._lock:
            if self._reporter is None:
                self._reporter = threading.Thread(
                    target=self._report_when_due, name="delivery-receipts", daemon=True
                )
                self._reporter.start()

    def _report_when_due(self) -> None:
        while True:
            due, message = self._later.get()
            time.sleep(max(0.0, due - time.monotonic()))
            self._report(message)

    def _report(self, message: OutboxMessage) -> str:
        event = delivery_event(message, datetime.now(UTC), self._sender)
        if not self._publish(json.dumps(event)):
            return "no topic"
        with self._lock:
            self.published += 1
        return "published"

    def state(self) -> dict[str, Any]:
        return {"silent": self.silent, "published": self.published, "withheld": self.withheld}


def moto_topic(topic_name: str = DELIVERY_TOPIC, region: str = REGION) -> Publish:
    """Publish into moto's SNS in this process (the local server's, or a test's mock_aws);
    False while the topic does not exist."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.exceptions import SNSNotFoundError
    from moto.sns.models import sns_backends

    arn = f"arn:aws:sns:{region}:{DEFAULT_ACCOUNT_ID}:{topic_name}"

    def publish(message: str) -> bool:
        try:
            sns_backends[DEFAULT_ACCOUNT_ID][region].publish(message=message, arn=arn)
        except SNSNotFoundError:
            return False
        return True

    return publish


class MotoCarrier:
    """In-process (tests under ``mock_aws``): the emails and texts moto took since the last
    call, handed to ``receipts`` as the local server hands over each one it records."""

    def __init__(self, receipts: DeliveryReceipts, region: str = REGION) -> None:
        self._receipts = receipts
        self._region = region
        self._seen: set[str] = set()

    def deliver(self) -> list[str]:
        """What became of each new message's receipt, in the order they were found."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        found = [
            OutboxMessage("email", "sesv2:SendEmail", to, m.subject, "", None, m.id, now)
            for m in ses_backends[DEFAULT_ACCOUNT_ID][self._region].sent_messages
            for to in m.destinations.get("ToAddresses", [])[:1]
        ]
        sms = sns_backends[DEFAULT_ACCOUNT_ID][self._region].sms_messages
        found += [
            OutboxMessage("sms", "sns:Publish", phone, None, "", None, message_id, now)
            for message_id, (phone, *_) in sms.items()
        ]
        fresh = [message for message in found if message.message_id not in self._seen]
        self._seen |= {message.message_id for message in fresh}
        return [self._receipts.handed_over(message) for message in fresh]


def _ses_delivery(
    message: OutboxMessage, sent: datetime, now: datetime, sender: str
) -> dict[str, Any]:
    return {
        "eventType": "Delivery",
        "mail": {
            "timestamp": _zulu(sent),
            "source": sender,
            "sourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{sender}",
            "sendingAccountId": ACCOUNT,
            "messageId": message.message_id,
            "destination": [message.destination],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": sender},
                {"name": "To", "value": message.destination},
                {"name": "Subject", "value": message.subject or ""},
            ],
            "commonHeaders": {
                "from": [sender],
                "to": [message.destination],
                "messageId": message.message_id,
                "subject": message.subject or "",
            },
            "tags": {
                "ses:configuration-set": ["tocsin-local"],
                "ses:source-ip": ["192.0.2.1"],  # TEST-NET-1: documentation addresses
                "ses:from-domain": [sender.rpartition("@")[2]],
                "ses:caller-identity": ["tocsin-local"],
                "ses:outgoing-ip": ["192.0.2.2"],
            },
        },
        "delivery": {
            "timestamp": _zulu(now),
            "processingTimeMillis": _millis(now - sent),
            "recipients": [message.destination],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a1-1.smtp-out.local.example.com",
        },
    }


def _sns_sms_status(message: OutboxMessage, sent: datetime, now: datetime) -> dict[str, Any]:
    return {
        "notification": {
            "messageId": message.message_id,
            "timestamp": sent.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        },
        "delivery": {
            "phoneCarrier": "Local Stand-in Carrier",
            "mnc": 0,
            "numberOfMessageParts": 1,
            "destination": message.destination,
            "priceInUSD": 0.0,
            "smsType": "Transactional",
            "mcc": 0,
            "providerResponse": "Message has been accepted by phone carrier",
            "dwellTimeMs": _millis(now - sent),
            "dwellTimeMsUntilDeviceAck": _millis(now - sent) + 300,
        },
        "status": "SUCCESS",
    }


def _end_user_messaging(message: OutboxMessage, sent: datetime, now: datetime) -> dict[str, Any]:
    voice = message.api.endswith("SendVoiceMessage")
    return {
        "eventType": "VOICE_COMPLETED" if voice else "TEXT_DELIVERED",
        "eventVersion": "1.0",
        "eventTimestamp": int(now.timestamp() * 1000),
        "isFinal": True,
        "originationPhoneNumber": LOCAL_NUMBER,
        "destinationPhoneNumber": message.destination,
        "isInternationalSend": False,
        "mcc": "310",
        "mnc": "800",
        "messageId": message.message_id,
        "messageRequestTimestamp": int(sent.timestamp() * 1000),
        "messageType": "TRANSACTIONAL",
        "messageStatus": "COMPLETED" if voice else "DELIVERED",
        "messageStatusDescription": "Call completed" if voice else "Message delivered to handset",
        "totalMessagePrice": 0.0,
        "totalCarrierFee": 0.0,
        **({} if voice else {"messageEncoding": "GSM", "totalMessageParts": 1}),
    }


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _millis(span: timedelta) -> int:
    return max(int(span.total_seconds() * 1000), 0)
