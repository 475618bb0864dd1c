"""Delivery events from SES, SNS SMS and End User Messaging, read into one report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.messaging.receipts import DeliveryStatus, parse_delivery
from tests.conftest import SHARED_SAMPLES


def ses(kind: str, **fields: Any) -> dict[str, Any]:
    return {"eventType": kind, "mail": {"messageId": "ses-1"}, **fields}


@pytest.mark.parametrize(
    ("message", "status", "unusable"),
    [
        (ses("Delivery"), DeliveryStatus.DELIVERED, False),
        (ses("Bounce", bounce={"bounceType": "Permanent"}), DeliveryStatus.BOUNCED, True),
        (ses("Bounce", bounce={"bounceType": "Transient"}), DeliveryStatus.BOUNCED, False),
        (ses("Complaint"), DeliveryStatus.COMPLAINED, True),
        (
            ses("DeliveryDelay", deliveryDelay={"delayType": "MailboxFull"}),
            DeliveryStatus.DELAYED,
            False,
        ),
        (ses("Reject"), DeliveryStatus.FAILED, False),
        (
            {"notification": {"messageId": "sns-1"}, "status": "SUCCESS", "delivery": {}},
            DeliveryStatus.DELIVERED,
            False,
        ),
        (
            {
                "notification": {"messageId": "sns-1"},
                "status": "FAILURE",
                "delivery": {"providerResponse": "Phone number is opted out"},
            },
            DeliveryStatus.FAILED,
            True,
        ),
        ({"eventType": "TEXT_DELIVERED", "messageId": "m"}, DeliveryStatus.DELIVERED, False),
        ({"eventType": "TEXT_BLOCKED", "messageId": "m"}, DeliveryStatus.FAILED, True),
        ({"eventType": "TEXT_TTL_EXPIRED", "messageId": "m"}, DeliveryStatus.FAILED, False),
        ({"eventType": "VOICE_COMPLETED", "messageId": "m"}, DeliveryStatus.DELIVERED, False),
    ],
)
def test_each_feed_maps_to_a_status(message: Any, status: DeliveryStatus, unusable: bool) -> None:
    report = parse_delivery(message)
    assert report is not None
    assert (report.status, report.unusable) == (status, unusable)


def test_events_that_say_nothing_about_delivery_are_ignored() -> None:
    assert parse_delivery(ses("Open")) is None
    assert parse_delivery({"eventType": "TEXT_SUCCESSFUL_OPT_IN", "messageId": "m"}) is None


@pytest.mark.parametrize("message", [[], {"hello": 1}, {"mail": {}, "eventType": "Delivery"}])
def test_anything_else_is_a_clear_error(message: Any) -> None:
    with pytest.raises(InvalidEvent):
        parse_delivery(message)


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="../shared is not beside us")
@pytest.mark.parametrize(
    ("name", "status", "unusable"),
    [
        ("ses-event-publishing-delivery.json", DeliveryStatus.DELIVERED, False),
        ("ses-event-publishing-bounce.json", DeliveryStatus.BOUNCED, True),
        ("ses-event-publishing-complaint.json", DeliveryStatus.COMPLAINED, True),
        ("sns-sms-delivery-status-success.json", DeliveryStatus.DELIVERED, False),
        ("sns-sms-delivery-status-failure.json", DeliveryStatus.FAILED, False),
    ],
)
def test_the_published_feedback_samples_parse(
    name: str, status: DeliveryStatus, unusable: bool
) -> None:
    report = parse_delivery(json.loads((SHARED_SAMPLES / name).read_text(encoding="utf-8")))
    assert report is not None
    assert (report.status, report.unusable) == (status, unusable)
    assert report.message_id
    assert "@" not in report.detail and "+1" not in report.detail
