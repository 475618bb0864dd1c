"""The local stand-in's delivery receipts: in AWS's own shapes, read by Tocsin's parser as the
message they name, and withheld on a silent channel."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.messaging.receipts import DeliveryStatus, parse_delivery
from local.outbox import Outbox, OutboxMessage
from local.receipts import DeliveryReceipts, delivery_event, receipt_channel
from tests.conftest import SHARED_SAMPLES

SENT = datetime(2026, 12, 2, 3, 0, 41, 250000, tzinfo=UTC)
NOW = SENT + timedelta(seconds=3)
# The SMS event End User Messaging publishes to a configuration set's destinations, as its user
# guide shows it ("SMS example log": sms-voice/latest/userguide/configuration-sets-event-format).
EUM_SMS_EXAMPLE = {
    "eventType": "TEXT_SUCCESSFUL",
    "eventVersion": "1.0",
    "eventTimestamp": 1686975103470,
    "isFinal": True,
    "originationPhoneNumber": "+12065550152",
    "destinationPhoneNumber": "+14255550156",
    "isInternationalSend": False,
    "mcc": "310",
    "mnc": "800",
    "messageId": "862a8790-60c0-4430-9b2b-658bdexample",
    "messageRequestTimestamp": 1686975103170,
    "messageEncoding": "GSM",
    "messageType": "PROMOTIONAL",
    "messageStatus": "SUCCESSFUL",
    "messageStatusDescription": "Message has been accepted by phone carrier",
    "context": {"account": "bar"},
    "totalMessageParts": 1,
    "totalMessagePrice": 0.09582,
    "totalCarrierFee": 0.0,
}


def handed(api: str, channel: str, destination: str, message_id: str = "m-1") -> OutboxMessage:
    return OutboxMessage(
        channel, api, destination, "TOCSIN info", "", "inc_1", message_id, SENT.isoformat()
    )


EMAIL = handed("sesv2:SendEmail", "email", "canary@example.com", "0100-ses")
SNS_SMS = handed("sns:Publish", "sms", "+12025550110", "sns-1")
EUM_SMS = handed("pinpoint-sms-voice-v2:SendTextMessage", "sms", "+12025550110", "eum-1")
EUM_VOICE = handed("pinpoint-sms-voice-v2:SendVoiceMessage", "voice", "+12025550110", "eum-2")


def keys_of(document: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON document (lists looked into at their first item)."""
    if isinstance(document, list):
        return keys_of(document[0], prefix + "[]") if document else set()
    if not isinstance(document, dict):
        return set()
    found = set()
    for name, value in document.items():
        found.add(prefix + name)
        found |= keys_of(value, f"{prefix}{name}.")
    return found


@pytest.mark.parametrize("message", [EMAIL, SNS_SMS, EUM_SMS, EUM_VOICE], ids=lambda m: m.api)
def test_each_receipt_is_read_as_the_delivery_of_the_message_it_names(
    message: OutboxMessage,
) -> None:
    report = parse_delivery(json.loads(json.dumps(delivery_event(message, NOW))))
    assert report is not None
    assert (report.message_id, report.status) == (message.message_id, DeliveryStatus.DELIVERED)


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="../shared is not beside us")
@pytest.mark.parametrize(
    ("message", "sample"),
    [
        (EMAIL, "ses-event-publishing-delivery.json"),
        (SNS_SMS, "sns-sms-delivery-status-success.json"),
    ],
)
def test_ses_and_sns_receipts_have_the_fields_of_awss_own_samples(
    message: OutboxMessage, sample: str
) -> None:
    published = json.loads((SHARED_SAMPLES / sample).read_text())
    ours = delivery_event(message, NOW)
    custom = {"mail.tags.myCustomTag1", "mail.tags.myCustomTag2"}  # the sender's own tags
    assert keys_of(ours) == keys_of(published) - custom


def test_end_user_messaging_receipts_have_the_fields_of_the_documented_event() -> None:
    sms = delivery_event(EUM_SMS, NOW)
    assert keys_of(sms) == keys_of(EUM_SMS_EXAMPLE) - {"context", "context.account"}
    assert (sms["eventType"], sms["messageStatus"], sms["isFinal"]) == (
        "TEXT_DELIVERED",
        "DELIVERED",
        True,
    )
    assert sms["messageRequestTimestamp"] == int(SENT.timestamp() * 1000)
    voice = delivery_event(EUM_VOICE, NOW)
    assert (voice["eventType"], voice["messageStatus"]) == ("VOICE_COMPLETED", "COMPLETED")
    assert "messageEncoding" not in voice


def test_topics_and_push_get_no_receipt() -> None:
    for message in (
        handed(
            "sns:Publish", "broadcast", "arn:aws:sns:us-east-1:123456789012:tocsin-stakeholders"
        ),
        handed("sns:Publish", "operations", "arn:aws:sns:us-east-1:123456789012:tocsin-operations"),
        handed("pinpoint:SendMessages", "push", "APNS:abc…"),
    ):
        assert receipt_channel(message) is None


def test_a_silent_channel_takes_messages_and_never_reports_them() -> None:
    published: list[str] = []
    receipts = DeliveryReceipts(lambda event: published.append(event) is None)
    outbox = Outbox([receipts.handed_over])
    assert receipts.silence(["email"]) == ["email"]
    for message in (EMAIL, SNS_SMS, EUM_VOICE):
        outbox.record(
            channel=message.channel,
            api=message.api,
            destination=message.destination,
            body="",
            message_id=message.message_id,
        )
    assert [
        json.loads(e).get("messageId") or json.loads(e)["notification"]["messageId"]
        for e in published
    ] == ["sns-1", "eum-2"]
    assert receipts.state() == {"silent": ["email"], "published": 2, "withheld": 1}
    assert len(outbox.messages()) == 3  # the stand-in still took all three
    receipts.silence([])
    assert receipts.handed_over(EMAIL) == "published"


def test_an_unknown_channel_cannot_be_silenced() -> None:
    receipts = DeliveryReceipts(lambda event: True)
    with pytest.raises(ValueError, match="'fax' is not a channel with receipts: sms, email, voice"):
        receipts.silence(["voice", "fax"])
    assert receipts.silent == []


def test_with_no_topic_yet_a_receipt_is_lost_and_says_so() -> None:
    receipts = DeliveryReceipts(lambda event: False)
    assert receipts.handed_over(SNS_SMS) == "no topic"
    assert receipts.state()["published"] == 0


def test_with_a_delay_receipts_come_later_in_the_order_the_messages_were_taken() -> None:
    published: list[str] = []
    arrived = threading.Event()

    def publish(event: str) -> bool:
        published.append(
            json.loads(event).get("messageId") or json.loads(event)["notification"]["messageId"]
        )
        if len(published) == 2:
            arrived.set()
        return True

    receipts = DeliveryReceipts(publish, delay=0.05)
    assert receipts.handed_over(SNS_SMS) == "scheduled"
    assert receipts.handed_over(EUM_VOICE) == "scheduled"
    assert published == []  # not yet: the dispatcher records the message id first
    assert arrived.wait(timeout=5)
    assert published == ["sns-1", "eum-2"]
    assert receipts.state()["published"] == 2
