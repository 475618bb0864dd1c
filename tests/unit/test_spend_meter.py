"""What a message costs: SMS parts as carriers count them, voice minutes from the words spoken,
prices by country prefix; an incident's cost adds up from its timeline; a fan-out's estimate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    Message,
    Notice,
    NotificationJob,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.spend.cost import estimate_entry, estimate_fan_out, incident_cost
from chalicelib.core.spend.meter import charge, hour_of, units_of, voice_minutes
from chalicelib.core.wording.templates import BUILT_IN, render_message

NOW = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)
INCIDENT = Incident(
    incident_id="inc_01M8TBCTV0FSB6B6FSVJPGZ06W",
    status=IncidentStatus.OPEN,
    title="Customer database exposed",
    type="cyber.data_breach",
    severity=Severity.CRITICAL,
    event_status=EventStatus.ACTUAL,
    dedup_key="breach",
    rule_id="r",
    plan_id="p",
    opened_at=NOW,
    updated_at=NOW,
)
PRICES = Prices(
    default={
        Channel.SMS: 0.05,
        Channel.VOICE: 0.10,
        Channel.EMAIL: 0.0001,
        Channel.PUSH: 0.000001,
        Channel.BROADCAST: 0.0000005,
    },
    countries={"+1": {Channel.SMS: 0.0088, Channel.VOICE: 0.013}, "+45": {Channel.SMS: 0.04}},
    source="test prices",
)


@pytest.mark.parametrize(
    ("body", "parts"),
    [
        ("x" * 160, 1),  # GSM-7: one part holds 160
        ("x" * 161, 2),  # then 153 a part
        ("x" * 306, 2),
        ("x" * 307, 3),
        ("€" * 80, 1),  # an extension character costs two septets
        ("€" * 81, 2),
        ("警" * 70, 1),  # UCS-2: 70 in one part
        ("警" * 71, 2),  # then 67 a part
    ],
)
def test_sms_is_billed_by_the_part(body: str, parts: int) -> None:
    assert units_of(Channel.SMS, Message(body=body)) == parts


def test_a_call_is_billed_by_the_started_minute_of_its_words_and_pauses() -> None:
    assert voice_minutes("<speak>Short.</speak>") == 1  # billed from its start
    assert voice_minutes("<speak>" + "word " * 150 + "</speak>") == 1
    assert voice_minutes("<speak>" + "word " * 151 + "</speak>") == 2
    assert voice_minutes("<speak>" + "word " * 140 + "<break time='5s'/></speak>") == 2
    assert voice_minutes('<speak>word<break time="500ms"/></speak>') == 1
    built_in = render_message(INCIDENT, Channel.VOICE).body
    assert voice_minutes(built_in) == 1


def test_each_message_is_priced_by_its_destination_and_channel() -> None:
    sms = Message(body="x" * 161)
    assert charge(Channel.SMS, "+12025550101", sms, PRICES).usd == pytest.approx(2 * 0.0088)
    assert charge(Channel.SMS, "+4512345678", sms, PRICES).price_row == "+45"
    assert charge(Channel.SMS, "+4712345678", sms, PRICES).usd == pytest.approx(0.10)
    email = charge(Channel.EMAIL, "ada@example.com", Message(body="hi"), PRICES)
    assert (email.units, email.usd, email.price_row) == (1, 0.0001, "default")
    assert (
        charge(Channel.VOICE, "+4512345678", Message(body="<speak>x</speak>"), PRICES).usd == 0.10
    )


def test_the_budget_window_is_the_clock_hour_in_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 12, 2, 4, 59, 59, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert hour_of(local) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def sent(channel: str, units: int, usd: float) -> TimelineEntry:
    data = {"channel": channel, "units": units, "usd": usd, "price_row": "+1"}
    return TimelineEntry(NOW, "notification_sent", "sent", data)


def test_an_incidents_cost_adds_up_from_its_timeline() -> None:
    cost = incident_cost(
        [
            sent("sms", 1, 0.0088),
            sent("sms", 2, 0.0176),
            sent("voice", 2, 0.026),
            sent("email", 1, 0.0001),
            sent("push", 1, 0.000001),
            sent("broadcast", 1, 0.0000005),
            TimelineEntry(NOW, "held", "held", {"channel": "sms", "units": 9, "usd": 9.0}),
            # written before costs were recorded: a message, no price
            TimelineEntry(NOW, "notification_sent", "sent", {"channel": "email"}),
        ]
    )
    assert (cost.sms_messages, cost.sms_parts, cost.voice_calls, cost.voice_minutes) == (2, 3, 1, 2)
    assert (cost.emails, cost.push, cost.statements) == (2, 1, 1)
    assert cost.estimated_usd == pytest.approx(0.0525015)
    document = cost.to_document("test prices")
    assert document["estimated_usd"] == 0.0525 and document["currency"] == "USD"
    assert document["prices"] == "an estimate from the price table: test prices"


def test_a_fan_out_is_estimated_from_its_messages_as_they_will_be_rendered() -> None:
    people = {
        "c-ada": Contact("c-ada", "Ada", ("x",), phone="+12025550101", email="ada@example.com"),
        "c-chen": Contact("c-chen", "Chen", ("x",), "zh-Hant", phone="+4512345678"),
    }
    jobs = [
        NotificationJob(INCIDENT.incident_id, "c-ada", Channel.SMS),
        NotificationJob(INCIDENT.incident_id, "c-ada", Channel.EMAIL),
        NotificationJob(INCIDENT.incident_id, "c-chen", Channel.SMS),
        NotificationJob(INCIDENT.incident_id, STAKEHOLDERS, Channel.BROADCAST),
    ]
    short = estimate_fan_out(INCIDENT, jobs, people, BUILT_IN, PRICES)
    assert (short.sms_messages, short.sms_parts) == (2, 2)  # the text and its link fit one part
    # A long title is shortened with "…", which is not GSM-7: the whole text goes as UCS-2, 67
    # characters a part, and the text with its link takes three parts. The estimate counts the
    # messages as they will be sent, with a link of typical length.
    long = Incident(**{**INCIDENT.__dict__, "title": "Customer database exposed " * 8})
    estimate = estimate_fan_out(long, jobs, people, BUILT_IN, PRICES)
    assert (estimate.sms_messages, estimate.sms_parts) == (2, 6)
    assert (estimate.emails, estimate.statements, estimate.messages) == (1, 1, 4)
    assert estimate.estimated_usd == pytest.approx(3 * 0.0088 + 3 * 0.04 + 0.0001 + 0.0000005)
    entry = estimate_entry(estimate, "test prices", NOW)
    assert entry.kind == "cost_estimate" and entry.key == "cost-estimate"
    assert entry.summary == (
        "before the fan-out of 4 messages, estimated cost: 2 SMS (6 parts), 1 email, "
        "1 statement: about $0.1465 (from the price table; not a bill)"
    )


@pytest.mark.parametrize(
    ("language", "start"),
    [
        ("en", "TOCSIN BUDGET: messages held"),
        ("da-DK", "TOCSIN BUDGET: beskeder holdes tilbage"),
        ("no", "TOCSIN BUDSJETT: meldinger holdes tilbake"),
        ("zh-Hant-TW", "TOCSIN 預算："),  # noqa: RUF001 - Chinese punctuation
        ("fr", "TOCSIN BUDGET: messages held"),
    ],
)
def test_the_page_about_held_messages_speaks_the_readers_language(
    language: str, start: str
) -> None:
    incident = Incident(**{**INCIDENT.__dict__, "title": "Payroll <down> & " + "x" * 80})
    sms = render_message(incident, Channel.SMS, language, notice=Notice.BUDGET)
    assert sms.body.startswith(start) and "tocsin holds list" in sms.body
    assert "x" * 60 not in sms.body  # a long title is shortened in a text
    voice = render_message(incident, Channel.VOICE, language, notice=Notice.BUDGET)
    assert voice.body.startswith("<speak>") and "&lt;down&gt; &amp;" in voice.body
    email = render_message(incident, Channel.EMAIL, language, notice=Notice.BUDGET)
    assert email.subject and "tocsin holds release HOLD_ID" in email.body
    assert incident.title in email.body
