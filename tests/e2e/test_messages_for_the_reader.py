"""What a person reads, through the app: emails and the link page on their own wall clock,
with the event's links (a status page, the alert's source) where the channel can carry them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import boto3
import pytest
from chalice.test import Client

from fakes import FixedClock
from local.runner import QueueRunner
from tests.conftest import PROJECT, load_event
from tests.e2e.conftest import Api, sent_sms, use_container
from tests.e2e.test_integrations import bearer, post

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 03:00 in Copenhagen, 21:00 in New York
DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
FAY_PHONE = "+12025550105"


@pytest.fixture(autouse=True)
def night(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def html_emails(world: boto3.Session) -> dict[str, str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return {
        message.destinations["ToAddresses"][0]: message.body  # moto keeps the HTML part
        for message in ses_backends[DEFAULT_ACCOUNT_ID][world.region_name].sent_messages
    }


def test_each_email_shows_the_readers_own_time_and_the_events_links(
    api: Api, runner: QueueRunner, world: boto3.Session
) -> None:
    api.post_event(DEMO)
    runner.drain()
    emails = html_emails(world)
    assert "2026-12-02 03:00 CET (Europe/Copenhagen)" in emails["ada@example.com"]  # en
    assert "2026-12-02 03:00 CET (Europe/Copenhagen)" in emails["bo@example.com"]  # da
    assert "2026-12-02 03:00 CET (Europe/Oslo)" in emails["dina@example.com"]  # nb
    assert "2026-12-01 21:00 EST (America/New_York)" in emails["fay@example.com"]
    for body in emails.values():
        assert "UTC" not in body
        assert '<a href="https://status.example.com/incidents/crm">' in body
    assert all("status.example.com" not in body for _, body in sent_sms(world))


def test_the_link_page_shows_the_alerts_links_and_the_readers_time(
    client: Client, runner: QueueRunner, world: boto3.Session
) -> None:
    answer = post(
        client, "/v1/integrations/alertmanager", load_event("alertmanager-default.json"), bearer()
    )
    assert answer.status_code == 202
    runner.drain()
    [text] = [body for phone, body in sent_sms(world) if phone == FAY_PHONE]
    assert "prometheus.example.com" not in text  # SMS: the person's own link only
    link = re.search(r"http://127\.0\.0\.1:8000(/a/[a-z2-7]{16})", text)
    assert link is not None
    page = client.http.get(link.group(1)).body.decode()
    assert "opened 2026-12-01 21:00 EST (America/New_York)" in page
    generator = "https://prometheus.example.com/graph?g0.expr=checkout_errors&amp;g0.tab=1"
    assert f'<a href="{generator}" rel="noopener noreferrer">source</a>' in page
    runbook = "https://runbooks.example.com/checkout-errors"
    assert f'<a href="{runbook}" rel="noopener noreferrer">runbook</a>' in page
