"""The page to the approvers of an activation held at the gate, in their language.

Tocsin's own words (a template set need not know about gates), English as the fallback (Danish
too; other languages fall back to English). It says what was activated and how to approve or
reject: the person's link, their reply code (``1234 ACK`` approves, ``1234 NO`` rejects), or
the API with their personal key. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape  # xml.sax.saxutils' would import urllib.request (cold start)

from chalicelib.core.model import Channel, Message

_TITLE_IN_SMS = 60

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "sms": "TOCSIN VERIFY: {title} (ref {ref}) waits for approval before anyone is paged. "
        "Reply {code} ACK to approve, {code} NO to reject.{link}",
        "subject": "[Tocsin] Approve or reject: {title}",
        "text": "An activation waits for your approval before anyone else is paged.\n\n"
        "What: {title}\nReference: {ref} ({incident_id})\n{deadline}\n"
        "Approve or reject on this page: {url}\n"
        "Or reply to the text message: {code} ACK approves, {code} NO rejects.\n"
        "Or POST /v1/incidents/{incident_id}/approve (or /reject) with your personal key.\n",
        "voice": "Tocsin verification. {title} waits for your approval before anyone is paged. "
        "Reply {code_spoken} A C K to the text message to approve, or N O to reject.",
    },
    "da": {
        "sms": "TOCSIN BEKRÆFT: {title} (ref {ref}) venter på godkendelse, før nogen kaldes. "
        "Svar {code} ACK for at godkende, {code} NO for at afvise.{link}",
        "subject": "[Tocsin] Godkend eller afvis: {title}",
        "text": "En aktivering venter på din godkendelse, før andre kaldes.\n\n"
        "Hvad: {title}\nReference: {ref} ({incident_id})\n{deadline}\n"
        "Godkend eller afvis på denne side: {url}\n"
        "Eller svar på sms'en: {code} ACK godkender, {code} NO afviser.\n"
        "Eller POST /v1/incidents/{incident_id}/approve (eller /reject) med din personlige "
        "nøgle.\n",
        "voice": "Tocsin bekræftelse. {title} venter på din godkendelse. Svar {code_spoken} "
        "A C K på sms'en for at godkende, eller N O for at afvise.",
    },
}


def gate_request(
    channel: Channel,
    candidates: Sequence[str],
    title: str,
    ref: str,
    incident_id: str,
    url: str,
    code: str,
    deadline: str,
) -> Message:
    """What ``channel`` says to an approver; ``deadline``: when the gate's timeout acts, said
    on the reader's wall clock, or empty."""
    language = next((c for c in candidates if c in WORDS), "en")
    words = WORDS[language]
    short = title if len(title) <= _TITLE_IN_SMS else title[: _TITLE_IN_SMS - 1] + "…"
    values = {
        "title": title,
        "ref": ref,
        "incident_id": incident_id,
        "url": url,
        "code": code,
        "code_spoken": " ".join(code),
        "deadline": deadline,
        "link": f"\n{url}" if url else "",
    }
    sms = words["sms"].format(**{**values, "title": short})
    if channel is Channel.VOICE:
        spoken = words["voice"].format(**{**values, "title": escape(title, quote=False)})
        return Message(body=f"<speak>{spoken}</speak>", language=language)
    if channel is Channel.SMS:
        return Message(body=sms, language=language)
    subject = words["subject"].format(title=short)
    if channel is Channel.PUSH:
        return Message(body=sms, subject=subject, language=language, link=url or None)
    return Message(body=words["text"].format(**values), subject=subject, language=language)
