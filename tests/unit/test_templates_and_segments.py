"""Messages in each person's language; SMS segments counted as carriers count them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.model import Channel, EventStatus, Incident, IncidentStatus, Severity
from chalicelib.core.wording.languages import language_candidates
from chalicelib.core.wording.segments import count_segments, fits_first_segment
from chalicelib.core.wording.templates import (
    BUILT_IN,
    AckInfo,
    TemplateSet,
    render_message,
)
from chalicelib.core.wording.validation import parse_template_set
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

TEMPLATES = read_policy_dir(PROJECT / "policies").validate().templates["default"]


def incident(title: str = "Database exposed", exercise: bool = False) -> Incident:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    return Incident(
        "inc_01M84STVCFS7F5J06PS8A3D6CA",
        IncidentStatus.OPEN,
        title,
        "cyber.data_breach",
        Severity.CRITICAL,
        EventStatus.EXERCISE if exercise else EventStatus.ACTUAL,
        "k",
        "r",
        "p",
        now,
        now,
    )


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("{" * 81, "GSM-7", 162, 2),
        ("Ærø Ø å é ñ Ü", "GSM-7", 13, 1),
        ("危" * 70, "UCS-2", 70, 1),
        ("危" * 71, "UCS-2", 71, 2),
        ("危" * 134, "UCS-2", 134, 2),
        ("a" * 69 + "’", "UCS-2", 70, 1),  # one curly quote makes the whole text UCS-2
        ("🚨" * 35, "UCS-2", 70, 1),  # beyond the BMP: two code units each
        ("🚨" * 36, "UCS-2", 72, 2),
    ],
)
def test_segment_counts(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_the_first_segment_is_smaller_once_a_text_needs_several() -> None:
    assert fits_first_segment("a" * 160, "a" * 160)
    assert not fits_first_segment("a" * 160, "a" * 160 + "\nmore")
    assert fits_first_segment("a" * 153, "a" * 153 + "\nmore")


def test_language_fallback_goes_from_specific_to_general_then_to_the_set() -> None:
    assert language_candidates("zh-Hant-TW") == ["zh-Hant-TW", "zh-Hant", "zh"]
    assert language_candidates("no") == ["no", "nb"]
    assert TEMPLATES.source("sms", "zh-Hant-TW")[0] == "zh-Hant"
    assert TEMPLATES.source("sms", "no")[0] == "nb"
    assert TEMPLATES.source("sms", "fr-CA")[0] == "en"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "What:"), ("da", "Hvad:"), ("nb", "Hva:"), ("zh-Hant", "事件：")],
)
def test_each_person_gets_their_language(language: str, words: str) -> None:
    email = render_message(incident(), Channel.EMAIL, language, TEMPLATES)
    assert words in email.body
    assert email.subject == "[Tocsin CRITICAL] Database exposed"


@pytest.mark.parametrize("language", ["en", "da", "nb", "zh-Hant"])
def test_a_long_title_is_shortened_so_the_essentials_stay_in_one_segment(language: str) -> None:
    body = render_message(
        incident("Brand i serverrum " * 40), Channel.SMS, language, TEMPLATES
    ).body
    assert count_segments(body).segments == 1
    assert "A3D6CA" in body and "CRITICAL" in body
    assert "…" in body


def test_a_chinese_title_forces_ucs2_and_still_fits() -> None:
    body = render_message(incident("資料外洩" * 30), Channel.SMS, "zh-Hant", TEMPLATES).body
    count = count_segments(body)
    assert (count.encoding, count.segments) == ("UCS-2", 1)
    assert body.endswith("（編號 A3D6CA）")


def test_drills_say_so_first_in_every_language() -> None:
    for language in ("en", "da", "nb", "zh-Hant"):
        sms = render_message(incident(exercise=True), Channel.SMS, language, TEMPLATES)
        assert sms.body.startswith("[EXERCISE] ")


def test_voice_escapes_what_it_reads_and_keeps_its_own_markup() -> None:
    ssml = render_message(incident('Fire & smoke <at> "B"'), Channel.VOICE, "en", TEMPLATES).body
    assert "Fire &amp; smoke &lt;at&gt; &#34;B&#34;" in ssml
    assert ssml.startswith("<speak>") and ssml.count('<break time="1s"/>') == 2


def test_the_built_in_set_serves_a_playbook_without_templates() -> None:
    assert render_message(incident(), Channel.SMS, "da", BUILT_IN).body.startswith("TOCSIN")


def template(**parts: Any) -> dict[str, Any]:
    base = {
        "sms": "{{ title }} {{ ack_code }} {{ ack_url }}",
        "email_subject": "s",
        "email_text": "t {{ ack_url }} {{ ack_code }}",
        "voice": "<speak>v {{ ack_code_spoken }}</speak>",
    }
    return {"id": "t", "languages": {"en": {**base, **parts}}}


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        (template(sms="{{ titel }}"), "t.languages.en.sms", "'titel' is undefined"),
        (template(sms="{% if %}"), "t.languages.en.sms", "template line 1"),
        (template(sms="{{ title.__class__.__mro__ }}"), "t.languages.en.sms", "does not render"),
        (
            template(sms="x" * 161 + "{{ title }} {{ ack_code }} {{ ack_url }}"),
            "t.languages.en.sms",
            "first GSM-7 segment",
        ),
        (
            template(sms="危" * 71 + "{{ ack_code }} {{ ack_url }}"),
            "t.languages.en.sms",
            "first UCS-2 segment",
        ),
        (template(pager="x"), "t.languages.en.pager", "unknown field"),
        (
            {"id": "t", "languages": {"en": {"sms": "x {{ ack_code }} {{ ack_url }}"}}},
            "t.languages.en.email_subject",
            "fallback",
        ),
        # Every alert carries the person's way to answer; a template that drops it is refused.
        (template(sms="{{ title }} {{ ack_url }}"), "t.languages.en.sms", "{{ ack_code }}"),
        (template(sms="{{ title }} {{ ack_code }}"), "t.languages.en.sms", "{{ ack_url }}"),
        (
            template(email_text="What: {{ title }}"),
            "t.languages.en.email_text",
            "use {{ ack_url }} and {{ ack_code }}",
        ),
        (
            template(email_html="<p>{{ ack_url }}</p>"),
            "t.languages.en.email_html",
            "way to answer, as every alert does: use {{ ack_code }}",
        ),
        (
            template(voice="<speak>Reply {{ ack_code }} ACK</speak>"),
            "t.languages.en.voice",
            "{{ ack_code_spoken }}",
        ),
        ({"id": "t", "fallback_language": "da", "languages": {}}, "t.languages", "must map"),
        ({"id": "t", "languages": {"english!": {}}}, "t.languages.english!", "BCP 47"),
    ],
)
def test_a_template_that_would_fail_at_3am_fails_validation(
    document: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_template_set(document, "t")
    assert caught.value.path == path
    assert words in caught.value.message


def test_email_has_an_html_part_escaped_and_in_its_language() -> None:
    email = render_message(incident("Fire <in> B & C"), Channel.EMAIL, "da", TEMPLATES)
    assert email.html is not None
    assert '<html lang="da">' in email.html
    assert "Fire &lt;in&gt; B &amp; C" in email.html
    assert (
        "<script"
        not in render_message(
            incident("<script>x</script>"), Channel.EMAIL, "en", TEMPLATES
        ).html.lower()
    )  # type: ignore[union-attr]


ANSWER = AckInfo("https://alerts.example.com/a/abcdefghijklmnop", "4821")
TELLS = {  # where each language's email says how to answer
    "en": ("Acknowledge: ", "4821 ACK"),
    "da": ("Kvittér: ", "4821 ACK"),
    "nb": ("Kvitter: ", "4821 ACK"),
    "zh-Hant": ("確認：", "4821 ACK"),
}


@pytest.mark.parametrize("language", ["en", "da", "nb", "zh-Hant"])
@pytest.mark.parametrize("templates", [TEMPLATES, BUILT_IN], ids=["playbook", "built-in"])
def test_every_channel_carries_the_persons_way_to_answer(
    language: str, templates: TemplateSet
) -> None:
    sms = render_message(incident(), Channel.SMS, language, templates, ANSWER)
    assert "4821 ACK" in sms.body and ANSWER.url in sms.body
    email = render_message(incident(), Channel.EMAIL, language, templates, ANSWER)
    assert email.html is not None
    if templates is TEMPLATES:
        label, code = TELLS[language]
        assert f"{label}{ANSWER.url}" in email.body and code in email.body
    assert ANSWER.url in email.body and "4821 ACK" in email.body
    assert f'<a href="{ANSWER.url}">' in email.html and "4821 ACK" in email.html
    voice = render_message(incident(), Channel.VOICE, language, templates, ANSWER)
    assert "4 8 2 1" in voice.body  # the code, spoken digit by digit
    push = render_message(incident(), Channel.PUSH, language, templates, ANSWER)
    assert ANSWER.url in push.body and push.link == ANSWER.url  # opened on a tap


def test_where_nobody_can_answer_no_empty_instructions_are_shown() -> None:
    """The stakeholder topic is not a person: it gets no link, and no words about one."""
    statement = render_message(incident(), Channel.BROADCAST, "en", TEMPLATES)
    assert "Acknowledge" not in statement.body and "ACK" not in statement.body
    assert render_message(incident(), Channel.PUSH, "en", TEMPLATES).link is None
