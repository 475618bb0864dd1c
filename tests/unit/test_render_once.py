"""Rendering each kind of message once and filling in each person's link and code gives, byte
for byte, what rendering every message whole gives: for every template of the example
playbook, every channel, notice, language and time zone; and for templates and titles built to
break the shortcut, which then render whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.core.messaging.passes import ack_url, link_token, reply_code
from chalicelib.core.messaging.render_once import Renders
from chalicelib.core.model import Channel, Incident, Link, Notice
from chalicelib.core.wording.templates import AckInfo, TemplateSet, render_message
from fakes import MemoryWorld
from tests.unit.conftest import NIGHT
from tests.unit.test_dispatcher import open_incident

SECRET = b"test-secret"
PEOPLE = [f"c-{number:03d}" for number in range(40)]
LANGUAGES = ("en", "da", "nb", "no", "zh-Hant", "de")  # German: the fallback language
ZONES = ("UTC", "Europe/Copenhagen", "America/New_York")
CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.VOICE, Channel.PUSH)
NOTICES = (Notice.ALERT, Notice.RESOLVED, Notice.APPROVAL, Notice.BUDGET)


def ack(incident: Incident, person: str) -> AckInfo:
    token = link_token(SECRET, incident.incident_id, person)
    return AckInfo(
        ack_url("https://alerts.example.com", token),
        reply_code(SECRET, incident.incident_id, person),
    )


def every_message(incident: Incident, templates: TemplateSet) -> tuple[int, int]:
    """Compares each message with its whole rendering; (messages, whole renderings)."""
    renders, count = Renders(incident, templates), 0
    for channel in CHANNELS:
        for notice in NOTICES:
            for language in LANGUAGES:
                for zone in ZONES:
                    for person in [*PEOPLE, None]:
                        info = ack(incident, person) if person else None
                        whole = render_message(
                            incident, channel, language, templates, info, notice, zone
                        )
                        assert renders.message(channel, language, notice, zone, info) == whole
                        count += 1
    return count, renders.whole


def example() -> tuple[Incident, TemplateSet]:
    org = MemoryWorld.example(NIGHT)
    incident = open_incident(org, links=(Link("https://status.example.com/?a=1&b=2", "Status"),))
    playbook = org.playbooks.load_version(org.playbooks.version)
    return incident, playbook.templates_for(incident.plan_id)


def test_every_example_message_is_byte_identical_and_mostly_rendered_once() -> None:
    incident, templates = example()
    messages, whole = every_message(incident, templates)
    per_notice = len(CHANNELS) * len(LANGUAGES) * len(ZONES)
    assert messages == len(NOTICES) * per_notice * (len(PEOPLE) + 1)
    # Alerts and resolution notices: the first person of each kind twice (whole, and marked),
    # the others filled in, no link at all whole. Approvals and budget pages: each whole.
    assert whole == 2 * per_notice * (2 + 1) + 2 * per_notice * (len(PEOPLE) + 1)


def test_a_long_title_is_shortened_to_fit_the_sms_the_same_way() -> None:
    incident, templates = example()
    long = replace(incident, title="Chlorine leak at the water treatment plant, " * 6)
    every_message(long, templates)
    accented = replace(incident, title="Gaslæk i bygning B, evakuér straks — ring 112 " * 3)
    every_message(accented, templates)  # UCS-2: 70 characters a segment


@pytest.mark.parametrize(
    "sms",
    [
        "Code {{ ack_code[0] }}-{{ ack_code[1:] }} at {{ ack_url[-4:] }}",  # slices
        "Reply {{ ack_code|int + 1 }}",  # arithmetic
        "{% if ack_code < '5000' %}low{% else %}high{% endif %} {{ ack_code }}",  # compares
        "{{ ack_url|upper }} {{ ack_code|reverse|join }}",
    ],
)
def test_a_template_that_does_more_than_print_the_link_or_code_is_rendered_whole(
    sms: str,
) -> None:
    incident, _ = example()
    texts = {"sms": sms, "email_subject": "s", "email_text": "{{ ack_url }}", "voice": "v"}
    templates = TemplateSet("odd", "en", {"en": texts})
    renders = Renders(incident, templates)
    for person in PEOPLE:
        info = ack(incident, person)
        whole = render_message(incident, Channel.SMS, "en", templates, info)
        assert renders.message(Channel.SMS, "en", Notice.ALERT, "UTC", info) == whole


def test_text_that_contains_a_marker_is_rendered_whole() -> None:
    incident, templates = example()
    first = ack(incident, PEOPLE[0])
    marker_code = "".join(str((int(digit) + 1) % 10) for digit in first.code)
    titled = replace(incident, title=f"Call {marker_code} now")  # the first person's marker
    renders = Renders(titled, templates)
    for person in PEOPLE:
        info = ack(titled, person)
        whole = render_message(titled, Channel.SMS, "en", templates, info)
        assert renders.message(Channel.SMS, "en", Notice.ALERT, "UTC", info) == whole
    assert renders.whole == 1 + len(PEOPLE)  # the check failed: every message whole
