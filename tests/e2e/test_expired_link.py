"""An expired acknowledgement link says it expired, and never gives away the reply code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import boto3
from chalice.test import Client

from chalicelib.settings import Settings
from fakes import FixedClock
from local.runner import QueueRunner
from tests.e2e.conftest import Api, sent_sms, use_container

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
OUTAGE = {
    "source": "monitoring",
    "type": "it.outage",
    "severity": "critical",
    "summary": "Payments API down",
    "dedup_key": "payments-down",
}


def test_the_expired_link_page_does_not_show_the_persons_reply_code(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    clock = FixedClock(NOW)
    use_container(clock=clock)
    api.post_event(OUTAGE)
    runner.drain()
    texts = [body for _, body in sent_sms(world) if "/a/" in body]
    assert texts
    found = re.search(r"http://127\.0\.0\.1:8000/a/([a-z2-7]{16})", texts[0])
    assert found is not None
    token = found.group(1)
    item = world.client("dynamodb").get_item(
        TableName=settings.incidents_table,
        Key={"pk": {"S": f"ACKLINK#{token}"}, "sk": {"S": "LINK"}},
    )["Item"]
    code = item["code"]["S"]
    assert code in texts[0]  # the person's own text carries it

    clock.current = NOW + timedelta(days=4)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for page in (
        client.http.get(f"/a/{token}"),
        client.http.post(f"/a/{token}", headers=form, body=b"answer=ack"),
    ):
        body = page.body.decode()
        assert page.status_code == 410 and "expired" in body
        assert "Reply to the text message" in body  # what to do instead
        # (not even inside a date it happens to look like: "2026-12-06")
        assert re.search(rf"(?<![\d-]){code}(?![\d-])", body) is None
