"""What the dispatcher's CPU work was cut to (issue #35, target 4) gives exactly what the old
way gave: every message byte for byte (renderings kept from one dispatch to the next, filled
by joining the text between markers, the checklist appended to each kind's rendering), every
link and reply code (a link issued before still verifies), every SMS part count and price,
the fake's timeline data, and the figures (now one record a channel a round)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest

from chalicelib.core.messaging.checklist_text import with_checklist
from chalicelib.core.messaging.entries import sent_entry
from chalicelib.core.messaging.passes import (
    ack_url,
    genuine,
    issue_pass,
    link_token,
    reply_code,
)
from chalicelib.core.messaging.render_once import RenderCache
from chalicelib.core.model import (
    Channel,
    Contact,
    Incident,
    Link,
    Message,
    Notice,
    NotificationJob,
    SendReceipt,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.checklists import ChecklistItem
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.spend.meter import Charge
from chalicelib.core.wording.segments import GSM7_EXTENSION, count_segments, units
from chalicelib.core.wording.templates import AckInfo, TemplateSet, render_message
from fakes import MemoryWorld, RecordingBatchChannel, RecordingChannel
from fakes.incidents import as_json
from fakes.world import LINK_SECRET, PUBLIC_URL
from tests.unit.conftest import NIGHT
from tests.unit.test_dispatcher import INCIDENT_ID, job, open_incident

LANGUAGES = ("en", "da", "nb", "zh-Hant", "de")  # German: none of the templates' own
ZONES = ("UTC", "Europe/Copenhagen", "America/New_York")


def crowd(org: MemoryWorld, count: int) -> list[Contact]:
    """People of every role, language and time zone (numbers of the 555-01xx range)."""
    roles = sorted(org.playbooks.load().roles)
    people = [
        Contact(
            contact_id=f"c-{number:03d}",
            name="Example Person",
            roles=(roles[number % len(roles)], roles[(number * 7) % len(roles)]),
            language=LANGUAGES[number % len(LANGUAGES)],
            phone=f"+12025550{100 + number:03d}",
            email=f"person{number}@example.com",
            timezone=ZONES[number % len(ZONES)],
        )
        for number in range(count)
    ]
    for person in people:
        org.directory.put(person)
    return people


def old_with_checklist(
    message: Message,
    job: NotificationJob,
    checklist: Mapping[str, ChecklistItem],
    contact: Contact | None,
) -> Message:
    """The checklist as it was appended before (with ``dataclasses.replace``)."""
    if job.channel is not Channel.EMAIL or job.notice is not Notice.ALERT or contact is None:
        return message
    items = [item for item in checklist.values() if item.role in contact.roles]
    if not items:
        return message
    heading = "Your checklist for the first hour (tick each on your link page):"
    text = "\n".join(f"[ ] {item.text} ({item.role})" for item in items)
    from markupsafe import Markup

    rows = Markup("").join(Markup("<li>{} ({})</li>").format(i.text, i.role) for i in items)
    block = str(Markup("<p>{}</p><ul>{}</ul>").format(heading, rows))
    html = message.html
    if html is not None:
        at = html.rfind("</body>")
        html = html[:at] + block + html[at:] if at >= 0 else html + block
    return replace(message, body=f"{message.body.rstrip()}\n\n{heading}\n{text}\n", html=html)


def whole(org: MemoryWorld, incident: Incident, person: Contact, sent: NotificationJob) -> Message:
    """The message the old way: rendered whole for this person, checklist appended."""
    playbook = org.playbooks.load_version(incident.playbook_version)
    found = org.responders.find(incident.incident_id, person.contact_id)
    assert found is not None
    ack = AckInfo(ack_url(PUBLIC_URL, found.token), found.code)
    message = render_message(
        incident,
        sent.channel,
        person.language,
        playbook.templates_for(incident.plan_id),
        ack,
        sent.notice,
        person.timezone,
    )
    return old_with_checklist(message, sent, playbook.checklist, person)


@pytest.mark.parametrize(
    "title",
    [
        "Gas leak, building B",
        "Braces {0} {1} {2} {{ title }} }{ in the title",  # format fields in the text itself
        "Gaslæk i bygning B — evakuér straks [ring 112] " * 3,  # UCS-2, shortened to fit
    ],
)
def test_a_fan_out_in_many_dispatches_sends_what_whole_renderings_give(title: str) -> None:
    org = MemoryWorld.example(NIGHT)
    links = (Link("https://status.example.com/?a=1&b={2}", "Status {0}"),)
    incident = open_incident(org, title=title, links=links)
    people = crowd(org, 45)
    jobs = [job(p.contact_id, channel) for p in people for channel in (Channel.SMS, Channel.EMAIL)]
    cut = 63  # nine dispatches of seven
    for start in range(0, cut, 7):  # several dispatches: the renderings are kept between them
        org.dispatcher.dispatch(INCIDENT_ID, jobs[start : start + 7])
    # A reassessment mid fan-out: the next dispatches render the new severity, not the old.
    later = replace(org.incidents.get(INCIDENT_ID) or incident, severity=Severity.HIGH)
    entry = TimelineEntry(NIGHT, "reassessed", "severity high")
    assert org.incidents.reassess(org.incidents.get(INCIDENT_ID) or incident, later, entry)
    for start in range(cut, len(jobs), 7):
        org.dispatcher.dispatch(INCIDENT_ID, jobs[start : start + 7])
    sent = [*org.sms.sent, *org.email.sent]
    assert len(sent) == len(jobs)
    by_address = {(p.phone, Channel.SMS): p for p in people} | {
        (p.email, Channel.EMAIL): p for p in people
    }
    severities = set()
    for each in sent:
        person = by_address[(each.destination, each.channel)]
        number = jobs.index(job(person.contact_id, each.channel))
        seen = org.incidents.get(INCIDENT_ID) if number >= cut else incident
        assert seen is not None
        severities.add(seen.severity)
        expected = whole(org, seen, person, job(person.contact_id, each.channel))
        assert each.message == expected, (person.contact_id, each.channel)
    assert severities == {Severity.CRITICAL, Severity.HIGH}
    listed = [s for s in org.email.sent if "Your checklist" in s.message.body]
    assert 0 < len(listed) < len(org.email.sent)  # some roles have a checklist, some none


def test_renderings_are_kept_while_the_incident_and_templates_are_equal() -> None:
    org = MemoryWorld.example(NIGHT)
    incident = open_incident(org)
    templates = org.playbooks.load().templates_for(incident.plan_id)
    cache = RenderCache(size=2)
    first = cache.renders(incident, templates)
    assert cache.renders(replace(incident), templates) is first  # equal, read again
    assert cache.renders(replace(incident, title="Another"), templates) is not first
    other = TemplateSet("other", "en", {"en": dict(templates.languages["en"])})
    assert cache.renders(incident, other) is not first
    # The least recently used incident goes when a third arrives.
    kept = cache.renders(incident, templates)
    cache.renders(replace(incident, incident_id="inc_2"), templates)
    assert cache.renders(incident, templates) is kept
    cache.renders(replace(incident, incident_id="inc_2"), templates)
    cache.renders(replace(incident, incident_id="inc_3"), templates)
    assert cache.renders(incident, templates) is not kept


def test_a_title_with_format_fields_fills_only_the_markers() -> None:
    org = MemoryWorld.example(NIGHT)
    incident = open_incident(org, title="{0}{1}{2} {url} {{x}} }{")
    templates = org.playbooks.load().templates_for(incident.plan_id)
    renders = RenderCache().renders(incident, templates)
    for number in range(5):
        token = link_token(LINK_SECRET, INCIDENT_ID, f"c-{number}")
        ack = AckInfo(
            ack_url(PUBLIC_URL, token), reply_code(LINK_SECRET, INCIDENT_ID, f"c-{number}")
        )
        for channel in (Channel.SMS, Channel.EMAIL, Channel.VOICE, Channel.PUSH):
            for notice in (Notice.ALERT, Notice.RESOLVED):
                got = renders.message(channel, "en", notice, "UTC", ack)
                assert got == render_message(incident, channel, "en", templates, ack, notice)
    assert renders.whole < 5 * 4 * 2  # the marked renderings were used, not only whole ones


def old_link_token(secret: bytes, incident_id: str, contact_id: str) -> str:
    message = f"link\x1f{incident_id}\x1f{contact_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:16]


def old_reply_code(secret: bytes, incident_id: str, contact_id: str) -> str:
    message = f"code\x1f{incident_id}\x1f{contact_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


def test_links_and_reply_codes_are_those_issued_before() -> None:
    draw = random.Random(35)
    for number in range(3000):
        secret = draw.randbytes(draw.choice((1, 16, 32, 64, 65, 200)))
        incident_id, contact_id = f"inc_{draw.getrandbits(64):x}", f"c-{number}-ø"
        token = link_token(secret, incident_id, contact_id)
        assert token == old_link_token(secret, incident_id, contact_id)
        assert reply_code(secret, incident_id, contact_id) == old_reply_code(
            secret, incident_id, contact_id
        )
        # A link issued the old way still verifies; under another secret it does not.
        found = issue_pass(secret, incident_id, contact_id, NIGHT)
        assert genuine(secret, found, old_link_token(secret, incident_id, contact_id))
        assert not genuine(secret + b"x", found, token)


def old_units(text: str, gsm7: bool) -> int:
    if gsm7:
        return len(text) + sum(text.count(char) for char in GSM7_EXTENSION)
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "[EXERCISE] TOCSIN CRITICAL: {braces} ~tilde~ ^caret^ |pipe| \\back\\ €5\f" * 3,
        "Gaslæk — ring 112",  # UCS-2
        "火災 🔥" * 40,  # beyond the BMP: two units each
        "x" * 160,
        "[" * 80 + "x",  # 161 septets: two parts
    ],
)
def test_sms_parts_are_counted_as_before(text: str) -> None:
    count = count_segments(text)
    gsm7 = count.encoding == "GSM-7"
    assert count.units == units(text, gsm7) == old_units(text, gsm7)
    single, part = (160, 153) if gsm7 else (70, 67)
    assert count.segments == (1 if count.units <= single else math.ceil(count.units / part))
    assert count_segments(text) == count  # asked again (the pacer after the gate): the same


def old_price(prices: Prices, channel: Channel, destination: str | None) -> tuple[float, str]:
    if destination and channel.uses_phone:
        for size in range(min(len(destination), 7), 1, -1):
            row = prices.countries.get(destination[:size])
            if row is not None and channel in row:
                return row[channel], destination[:size]
    return prices.default[channel], "default"


def test_prices_come_from_the_same_rows_as_before() -> None:
    table = Prices(
        countries={
            "+1": {Channel.SMS: 0.01, Channel.VOICE: 0.02},
            "+45": {Channel.SMS: 0.05},
            "+4520": {Channel.SMS: 0.07},
            "+120255": {Channel.VOICE: 0.03},
            "+9": {Channel.EMAIL: 9.0},
        }
    )
    destinations = [None, "", "+1", "+12", "+4520", "+452012", "+4530", "+12025550101"]
    destinations += ["+9123", "+120", "+1202555", "person@example.com", "+999999999"]
    for prices in (table, Prices(), Prices(countries={})):
        for channel in Channel:
            for destination in destinations:
                got = prices.price(channel, destination)
                assert got == old_price(prices, channel, destination), (channel, destination)


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"contact_id": "c-ada", "step": 0, "usd": 0.0088, "retryable": True, "hold": None},
        {"usd": float("inf"), "low": -0.0, "big": 10**30},
        {"at": NIGHT, "when": datetime(2026, 1, 1, tzinfo=UTC)},  # as their text
        {"channel": Channel.SMS, "colour": Colour.RED},  # an enum: its value, a plain str
        {"people": ("c-ada", "c-bo"), "nested": {"a": [1, (2, 3)]}},  # tuples: lists
        {1: "a number key", "b": 2},  # a key: its text
    ],
)
def test_the_fake_timeline_keeps_data_as_json_gives_it_back(data: dict[Any, Any]) -> None:
    decoded = json.loads(json.dumps(data, default=str))
    got = as_json(data)
    assert got == decoded
    assert [type(value) for value in got.values()] == [type(v) for v in decoded.values()]
    assert got is not data  # a copy: a later change to the entry's data is not stored


def test_a_sent_entry_reads_as_before() -> None:
    charge = Charge(Channel.SMS, 2, 0.0176, "+1")
    for hold in (None, "hold-1"):
        for notice in (Notice.ALERT, Notice.RESOLVED, Notice.UPDATE):
            sent = job("c-ada", Channel.SMS, step=1, notice=notice, hold=hold)
            entry = sent_entry(sent, SendReceipt("m-1"), charge, NIGHT)
            note = {Notice.ALERT: "", Notice.RESOLVED: " (resolution notice)"}.get(
                notice, " (update)"
            )
            released = f" (released from hold {hold})" if hold else ""
            assert entry.summary == f"sms handed to AWS for c-ada{note}{released}"
            assert entry.data == {
                "contact_id": "c-ada",
                "channel": "sms",
                "step": 1,
                "message_id": "m-1",
                "notice": notice.value,
                "units": 2,
                "usd": 0.0176,
                "price_row": "+1",
                **({"hold_id": hold} if hold else {}),
            }
            assert list(entry.data)[-1] == ("hold_id" if hold else "price_row")
            suffix = "" if notice is Notice.ALERT else f"-{notice.value}"
            assert entry.key == f"sent-c-ada-sms-1{suffix}"


def test_a_checklist_is_appended_as_before() -> None:
    org = MemoryWorld.example(NIGHT)
    playbook = org.playbooks.load()
    incident = open_incident(org)
    for person in crowd(org, 12):
        for notice in (Notice.ALERT, Notice.RESOLVED):
            for channel in (Channel.EMAIL, Channel.SMS):
                each = job(person.contact_id, channel, notice=notice)
                templates = playbook.templates_for(incident.plan_id)
                message = render_message(incident, channel, "en", templates, None, notice)
                for base in (message, replace(message, html=None), replace(message, html="<p>")):
                    expected = old_with_checklist(base, each, playbook.checklist, person)
                    assert with_checklist(base, each, playbook.checklist, person) == expected


def test_messages_sent_are_counted_once_a_channel_a_round() -> None:
    org = MemoryWorld.example(NIGHT)
    open_incident(org)
    people = crowd(org, 9)
    jobs = [job(p.contact_id, channel) for p in people for channel in (Channel.SMS, Channel.EMAIL)]
    report = org.dispatcher.dispatch(INCIDENT_ID, jobs)
    assert report.sent == 18
    sent = [record for record in org.meter.records if record[0] == "MessagesSent"]
    assert sorted(sent) == [("MessagesSent", 9.0, "email"), ("MessagesSent", 9.0, "sms")]


def test_a_channel_whose_sender_changes_is_asked_again_whether_it_batches() -> None:
    example = MemoryWorld.example(NIGHT)
    single = RecordingChannel(Channel.SMS)
    senders: dict[Channel, Any] = {Channel.SMS: single, Channel.EMAIL: example.email}
    org = MemoryWorld(NIGHT, example.playbooks.load(), (), senders)
    open_incident(org)
    people = crowd(org, 6)
    org.dispatcher.dispatch(INCIDENT_ID, [job(p.contact_id) for p in people[:3]])
    batching = RecordingBatchChannel(Channel.SMS)
    senders[Channel.SMS] = batching  # the dispatcher remembered the first sender's answer
    org.dispatcher.dispatch(INCIDENT_ID, [job(p.contact_id) for p in people[3:]])
    assert len(single.sent) == 3 and batching.calls == [3]  # one call for the three
