"""What became of a message (DeliveryTracker), on the fakes: the timeline says it, once per
status, and an address that bounced for good is not used again."""

from __future__ import annotations

from chalicelib.core.messaging.receipts import parse_delivery
from fakes import MemoryWorld
from tests.unit.conftest import DEMO, incident_of, post, story


def ses(kind: str, message_id: str, **fields: object) -> dict[str, object]:
    return {"eventType": kind, "mail": {"messageId": message_id}, **fields}


def test_a_delivery_is_on_the_timeline_once_however_often_it_is_reported(
    org: MemoryWorld,
) -> None:
    incident_id = incident_of(org, post(org, DEMO)).incident_id
    [to_ada] = [sent for sent in org.email.sent if sent.destination == "ada@example.com"]
    report = parse_delivery(ses("Delivery", to_ada.message_id))
    assert report is not None
    for _ in range(2):
        tracked = org.tracker.record(report)
        assert (tracked.known, tracked.marked_unusable) == (True, False)
    assert story(org, incident_id, "delivery_delivered") == ["email to c-ada delivered: delivered"]


def test_a_hard_bounce_retires_the_address_and_the_next_plan_says_so(org: MemoryWorld) -> None:
    incident_id = incident_of(org, post(org, DEMO)).incident_id
    [to_emil] = [sent for sent in org.email.sent if sent.destination == "emil@example.com"]
    bounce = {"bounceType": "Permanent", "bounceSubType": "NoEmail"}
    report = parse_delivery(ses("Bounce", to_emil.message_id, bounce=bounce))
    assert report is not None
    assert org.tracker.record(report).marked_unusable is True
    assert story(org, incident_id, "delivery_bounced") == [
        "email to c-emil bounced: permanent bounce (NoEmail); "
        "this email address will not be used again"
    ]
    second = post(org, DEMO, dedup_key="another-breach")
    assert "role hr: email address unusable (bounced or refused)" in story(
        org, incident_of(org, second).incident_id, "unreachable"
    )


def test_a_report_about_a_message_tocsin_did_not_send_is_ignored(org: MemoryWorld) -> None:
    report = parse_delivery(ses("Delivery", "not-ours"))
    assert report is not None
    assert org.tracker.record(report).known is False
