"""Times on the reader's wall clock with the zone named, and the event's links where the
channel can carry them: email (text and HTML) and the link page, not SMS or voice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.api.ack_page import incident_page
from chalicelib.core.model import (
    Channel,
    EventStatus,
    Incident,
    IncidentStatus,
    Link,
    Severity,
)
from chalicelib.core.wording.templates import BUILT_IN, render_message
from chalicelib.core.wording.times import local_time
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

TEMPLATES = read_policy_dir(PROJECT / "policies").validate().templates["default"]
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 03:00 in Copenhagen
STATUS = Link("https://status.example.com/incidents/crm", "Status page")
GENERATOR = Link("https://prometheus.example.com/graph?g0.expr=up%3D%3D0&g0.tab=1", "source")
INCIDENT = Incident(
    "inc_01M84STVCFS7F5J06PS8A3D6CA",
    IncidentStatus.OPEN,
    "Primary database is down",
    "it.alert",
    Severity.CRITICAL,
    EventStatus.ACTUAL,
    "k",
    "r",
    "p",
    NIGHT,
    NIGHT,
    links=(STATUS, GENERATOR),
)


@pytest.mark.parametrize(
    ("at", "zone", "shown"),
    [
        (NIGHT, "Europe/Copenhagen", "2026-12-02 03:00 CET (Europe/Copenhagen)"),
        (datetime(2026, 7, 2, 2, 0, tzinfo=UTC), "Europe/Copenhagen", "2026-07-02 04:00 CEST"),
        (NIGHT, "America/New_York", "2026-12-01 21:00 EST (America/New_York)"),
        (NIGHT, "Asia/Taipei", "2026-12-02 10:00 CST (Asia/Taipei)"),  # CST alone is ambiguous
        (NIGHT, "UTC", "2026-12-02 02:00 UTC"),
        (NIGHT, "Not/AZone", "2026-12-02 02:00 UTC"),
    ],
)
def test_a_time_is_shown_on_the_readers_wall_clock_with_the_zone_named(
    at: datetime, zone: str, shown: str
) -> None:
    assert local_time(at, zone).startswith(shown)


@pytest.mark.parametrize(
    ("language", "opened", "heading"),
    [
        ("en", "Opened: 2026-12-02 03:00 CET (Europe/Copenhagen)", "Links:"),
        ("da", "Åbnet: 2026-12-02 03:00 CET (Europe/Copenhagen)", "Links:"),
        ("nb", "Åpnet: 2026-12-02 03:00 CET (Europe/Copenhagen)", "Lenker:"),
        ("zh-Hant", "開始時間：2026-12-02 03:00 CET (Europe/Copenhagen)", "相關連結："),  # noqa: RUF001
    ],
)
def test_an_email_to_copenhagen_shows_copenhagen_time_and_every_link(
    language: str, opened: str, heading: str
) -> None:
    message = render_message(
        INCIDENT, Channel.EMAIL, language, TEMPLATES, timezone="Europe/Copenhagen"
    )
    assert opened in message.body
    assert heading in message.body
    assert STATUS.href in message.body and GENERATOR.href in message.body
    assert message.html is not None
    for link in (STATUS, GENERATOR):
        href = link.href.replace("&", "&amp;")
        assert f'<a href="{href}">{href}</a>' in message.html


def test_the_built_in_email_has_the_links_and_the_readers_time_too() -> None:
    message = render_message(INCIDENT, Channel.EMAIL, timezone="America/New_York")
    assert "Opened: 2026-12-01 21:00 EST (America/New_York)" in message.body
    assert f"- Status page: {STATUS.href}\n- source: {GENERATOR.href}" in message.body
    plain = render_message(replace(INCIDENT, links=()), Channel.EMAIL, templates=BUILT_IN)
    assert "Links" not in plain.body and "Opened: 2026-12-02 02:00 UTC" in plain.body


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.VOICE, Channel.PUSH])
def test_sms_voice_and_push_leave_the_links_out(channel: Channel) -> None:
    message = render_message(INCIDENT, channel, "en", TEMPLATES, timezone="Europe/Copenhagen")
    assert "example.com" not in message.body


def test_a_links_text_cannot_add_lines_to_an_email() -> None:
    forged = Link("https://status.example.com", "Status\n\nSeverity: INFO")
    message = render_message(replace(INCIDENT, links=(forged,)), Channel.EMAIL)
    assert "- Status Severity: INFO: https://status.example.com" in message.body


def test_the_link_page_shows_the_readers_time_and_the_links_escaped() -> None:
    hostile = Link("https://status.example.com/?a=1&b=2", "<script>alert(1)</script>")
    page = incident_page(
        replace(INCIDENT, links=(hostile, GENERATOR)),
        "c-ada",
        language="da",
        timezone="Europe/Copenhagen",
    )
    assert "åbnet 2026-12-02 03:00 CET (Europe/Copenhagen)" in page
    assert "UTC" not in page
    assert (
        '<a href="https://status.example.com/?a=1&amp;b=2" rel="noopener noreferrer">'
        "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in page
    )
    assert 'rel="noopener noreferrer">source</a>' in page
    assert "<script>" not in page
    assert "Links" in page  # the heading, in Danish as in English


def test_a_page_without_links_has_no_links_heading() -> None:
    page = incident_page(replace(INCIDENT, links=()), "c-ada", timezone="UTC")
    assert "<nav" not in page and "2026-12-02 02:00 UTC" in page
