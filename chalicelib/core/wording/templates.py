"""Turn an incident into the words each channel sends, in each person's language.

Templates come from the playbook's ``templates`` section (see ``policies/templates.yaml``) and are
rendered in Jinja2's sandbox with strict variables, so a template can read the incident but do
nothing else, and a misspelt variable is an error found by ``tocsin policies validate``, never
at 3 a.m. Without a ``templates`` section, the built-in English set below is used.

Language: the person's BCP 47 tag, then its shorter forms (``zh-Hant-TW`` -> ``zh-Hant`` ->
``zh``), then the set's fallback language. SMS: the first line (what, severity, reference)
must arrive in the first segment; a long title is shortened until it does, never the rest.
Voice: variables are escaped for SSML; the template's own markup is kept. Times are on the
person's wall clock, the zone named (``opened_at``); the opening event's ``links`` are for the
channels that can carry them (the email templates use them; SMS and voice do not).

Every alert carries the person's way to answer (:class:`AckInfo`): the link and reply code in
SMS and email (text and HTML), the spoken code and where the link is in voice, and in push the
SMS text with its link, plus the link itself for the app to open on a tap. Validation refuses a
template that drops it (``wording/validation.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.model import (
    Channel,
    Incident,
    Message,
    Notice,
)
from chalicelib.core.wording.exercise_words import exercise_marker
from chalicelib.core.wording.gate_request import gate_request
from chalicelib.core.wording.held import budget_notice
from chalicelib.core.wording.languages import language_candidates
from chalicelib.core.wording.segments import fits_first_segment
from chalicelib.core.wording.times import local_time

SMS_SEGMENT = 160
PARTS = ("sms", "email_subject", "email_text", "voice")
OPTIONAL_PARTS = ("email_html", "resolved_sms", "resolved_subject", "resolved_text")
MARKUP_PARTS = frozenset({"voice", "email_html"})  # variables are escaped in these
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")


@dataclass(frozen=True)
class TemplateSet:
    template_id: str
    fallback_language: str
    languages: Mapping[str, Mapping[str, str]] = field(hash=False)

    def source(self, part: str, language: str) -> tuple[str, str]:
        """(language used, template source) for ``part`` in the best language available; an
        optional part that the set lacks altogether comes from the built-in set."""
        for candidate in language_candidates(language):
            text = self.languages.get(candidate, {}).get(part)
            if text is not None:
                return candidate, text
        fallback = self.languages[self.fallback_language].get(part)
        if fallback is None and self is not BUILT_IN:
            return BUILT_IN.source(part, language)
        assert fallback is not None, f"no {part} template"
        return self.fallback_language, fallback


BUILT_IN = TemplateSet(
    "default",
    "en",
    {
        "en": {
            "sms": (
                "{{ marker }}TOCSIN {{ severity }}: {{ title }} (ref {{ ref }})"
                "{% if ack_code %} Reply {{ ack_code }} ACK{% endif %}"
                "{% if ack_url %}\n{{ ack_url }}{% endif %}"
            ),
            "email_subject": "{{ marker }}[Tocsin {{ severity }}] {{ title }}",
            "email_text": (
                "{{ marker }}A crisis response has been activated and you are on its team.\n\n"
                "What: {{ title }}\nSeverity: {{ severity }}\nType: {{ type }}\n"
                "Opened: {{ opened_at }}\nReference: {{ ref }} ({{ incident_id }})"
                "{% if links %}\n\nLinks:{% for link in links %}\n- "
                "{% if link.text %}{{ link.text }}: {% endif %}{{ link.href }}{% endfor %}"
                "{% endif %}"
                "{% if ack_url %}\n\nAcknowledge: {{ ack_url }}\nOr reply to the text message: "
                "{{ ack_code }} ACK ({{ ack_code }} NO if you can't respond).{% endif %}\n"
                "{% if exercise %}\nThis is an exercise. No real incident is under way.\n"
                "{% endif %}"
            ),
            "voice": (
                "<speak>{% for _ in range(2) %}{{ marker }}Tocsin {{ severity }} alert. "
                "{{ title }}. Reference {{ ref_spoken }}.<break time='1s'/>{% endfor %}"
                "{% if ack_code %}To acknowledge, reply {{ ack_code_spoken }} A C K to the "
                "text message, or open the link in your text message or email.{% endif %}</speak>"
            ),
            "resolved_sms": "{{ marker }}TOCSIN RESOLVED: {{ title }} (ref {{ ref }})",
            "resolved_subject": "{{ marker }}[Tocsin resolved] {{ title }}",
            "resolved_text": (
                "{{ marker }}The incident is resolved; no further action is needed.\n\n"
                "What: {{ title }}\nReference: {{ ref }} ({{ incident_id }})\n"
            ),
        }
    },
)


def incident_reference(incident_id: str) -> str:
    """A short reference people can read out on a call; unique enough within a day."""
    return incident_id[-6:]


@dataclass(frozen=True)
class AckInfo:
    """How this person acknowledges: their link and their reply code."""

    url: str
    code: str


def render_message(
    incident: Incident,
    channel: Channel,
    language: str = "en",
    templates: TemplateSet = BUILT_IN,
    ack: AckInfo | None = None,
    notice: Notice = Notice.ALERT,
    timezone: str = "UTC",
) -> Message:
    """What ``channel`` sends about ``incident`` to a person who reads ``language`` and lives
    in ``timezone`` (times are shown on their wall clock)."""
    variables = template_variables(incident, ack, timezone, language)
    if notice is Notice.BUDGET:
        ref = str(variables["ref"])
        return budget_notice(channel, language_candidates(language), incident.title, ref)
    if notice is Notice.RESOLVED:
        return _render_resolved(channel, language, templates, variables)
    if notice is Notice.APPROVAL:
        deadline = incident.response.due_at
        return gate_request(
            channel,
            language_candidates(language),
            incident.title,
            str(variables["ref"]),
            incident.incident_id,
            ack.url if ack else "",
            ack.code if ack else "",
            f"Decide by: {local_time(deadline, timezone)}" if deadline else "",
        )
    if channel is Channel.SMS:
        return Message(body=_fit_sms(templates.source("sms", language)[1], variables))
    if channel is Channel.PUSH:
        _, subject = templates.source("email_subject", language)
        return Message(
            subject=render_source(subject, variables).strip(),
            body=_fit_sms(templates.source("sms", language)[1], variables),
            link=ack.url if ack else None,
        )
    if channel is Channel.VOICE:
        used, source = templates.source("voice", language)
        return Message(body=render_source(source, variables, markup=True), language=used)
    used, subject = templates.source("email_subject", language)
    text = (
        templates.languages.get(used, {}).get("email_text")
        or templates.source("email_text", language)[1]
    )
    body = render_source(text, variables)
    html_source = templates.languages.get(used, {}).get("email_html")
    html = (
        render_source(html_source, variables, markup=True)
        if html_source is not None
        else html_from_text(body, used)
    )
    return Message(
        subject=render_source(subject, variables).strip(), body=body, html=html, language=used
    )


def _render_resolved(
    channel: Channel, language: str, templates: TemplateSet, variables: dict[str, Any]
) -> Message:
    used, text = templates.source("resolved_sms", language)
    if channel in (Channel.SMS, Channel.VOICE, Channel.BROADCAST):
        return Message(body=_fit_sms(text, variables), language=used)
    _, subject = templates.source("resolved_subject", language)
    if channel is Channel.PUSH:
        return Message(
            subject=render_source(subject, variables).strip(), body=_fit_sms(text, variables)
        )
    used, body_source = templates.source("resolved_text", language)
    body = render_source(body_source, variables)
    return Message(
        subject=render_source(subject, variables).strip(),
        body=body,
        html=html_from_text(body, used),
        language=used,
    )


def html_from_text(text: str, language: str) -> str:
    """A plain, accessible HTML part from the text part: paragraphs, escaped, in its language."""
    from markupsafe import escape

    paragraphs = [part.strip() for part in text.strip().split("\n\n") if part.strip()]
    inner = "".join(
        "<p>" + "<br>".join(_linked(str(escape(line))) for line in part.splitlines()) + "</p>"
        for part in paragraphs
    )
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="font-family: sans-serif; font-size: 16px">{inner}</body></html>'
    )


def _linked(escaped: str) -> str:
    """Web addresses in an escaped line made into links (their ``&amp;`` is right in href)."""
    return _URL.sub(lambda found: f'<a href="{found[0]}">{found[0]}</a>', escaped)


def template_variables(
    incident: Incident, ack: AckInfo | None = None, timezone: str = "UTC", language: str = "en"
) -> dict[str, Any]:
    """``language``: the reader's (the exercise marker is in it too)."""
    ref = incident_reference(incident.incident_id)
    return {
        "ack_url": ack.url if ack else "",
        "ack_code": ack.code if ack else "",
        "ack_code_spoken": " ".join(ack.code) if ack else "",
        "marker": exercise_marker(language) if incident.is_exercise else "",
        "exercise": incident.is_exercise,
        "severity": incident.severity.value.upper(),
        "title": incident.title,
        "type": incident.type,
        "ref": ref,
        "ref_spoken": " ".join(ref),
        "incident_id": incident.incident_id,
        "opened_at": local_time(incident.opened_at, timezone),
        # One line each: a link's text comes from the caller and must not add lines of its own.
        "links": [
            {"href": link.href, "text": " ".join(link.text.split())} for link in incident.links
        ],
    }


def _fit_sms(source: str, variables: dict[str, Any]) -> str:
    """Render; while the first line would spill out of the first segment, shorten the title."""
    text = render_source(source, variables).strip()
    if fits_first_segment(text.split("\n", 1)[0], text):
        return text
    title = str(variables["title"])
    low, high, best = 0, len(title), render_source(source, {**variables, "title": ""}).strip()
    while low <= high:
        size = (low + high) // 2
        shortened = title[: max(size - 1, 0)] + "…" if size else ""
        candidate = render_source(source, {**variables, "title": shortened}).strip()
        if fits_first_segment(candidate.split("\n", 1)[0], candidate):
            best, low = candidate, size + 1
        else:
            high = size - 1
    return best


def render_source(source: str, variables: Mapping[str, Any], markup: bool = False) -> str:
    return str(_compiled(source, markup).render(**variables))


@functools.lru_cache(maxsize=512)
def _compiled(source: str, markup: bool) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=markup, keep_trailing_newline=True
    )
    return environment.from_string(source)
