"""Updates to the people an incident reached, and the reminder that one is overdue, in the
reader's language.

Tocsin's own words around a person's update (whose text is theirs, in the languages they gave),
English as the fallback (Danish too). The reminder goes to the plan's updates role: it names the
incident and how to post the update (the API, with a personal key). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape  # xml.sax.saxutils' would import urllib.request (cold start)

from chalicelib.core.model import Channel, Message

_TITLE_IN_SMS = 50

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "update_sms": "TOCSIN UPDATE {number}: {title} (ref {ref}): {text}{link}",
        "update_subject": "[Tocsin update {number}] {title}",
        "update_body": "Update {number} on the incident: {title}\nReference: {ref} "
        "({incident_id})\n\n{text}\n{page}",
        "due_sms": "TOCSIN: update {number} on {title} (ref {ref}) is due. Post it: "
        "POST /v1/incidents/{incident_id}/updates",
        "due_subject": "[Tocsin] Update {number} is due: {title}",
        "due_body": "Update {number} on the incident {title} (reference {ref}) is due: the "
        "plan promises one every {every} minutes.\n\nPost it with your personal key: "
        'POST /v1/incidents/{incident_id}/updates {{"text": "..."}}\n'
        "It reaches everyone the incident reached, in their language, and drafts an update "
        "statement for each audience.\n",
        "page": "Your page: {url}\n",
    },
    "da": {
        "update_sms": "TOCSIN OPDATERING {number}: {title} (ref {ref}): {text}{link}",
        "update_subject": "[Tocsin opdatering {number}] {title}",
        "update_body": "Opdatering {number} om hændelsen: {title}\nReference: {ref} "
        "({incident_id})\n\n{text}\n{page}",
        "due_sms": "TOCSIN: opdatering {number} om {title} (ref {ref}) er forfalden. Send den: "
        "POST /v1/incidents/{incident_id}/updates",
        "due_subject": "[Tocsin] Opdatering {number} er forfalden: {title}",
        "due_body": "Opdatering {number} om hændelsen {title} (reference {ref}) er forfalden: "
        "planen lover en hvert {every}. minut.\n\nSend den med din personlige nøgle: "
        'POST /v1/incidents/{incident_id}/updates {{"text": "..."}}\n',
        "page": "Din side: {url}\n",
    },
}


def pick_text(texts: Mapping[str, str], candidates: Sequence[str]) -> str:
    """The update's text in the reader's language, else in the first language it was given."""
    for candidate in candidates:
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()), "")


def update_message(
    channel: Channel,
    candidates: Sequence[str],
    values: Mapping[str, str | int],
    texts: Mapping[str, str],
) -> Message:
    """``values``: number, title, ref, incident_id and url (the person's page, or empty)."""
    language = next((c for c in candidates if c in WORDS), "en")
    words = WORDS[language]
    text = pick_text(texts, candidates).strip()
    url = str(values.get("url") or "")
    filled = {**values, "text": text, "link": f"\n{url}" if url else ""}
    short = _short(str(values["title"]))
    if channel is Channel.VOICE:
        spoken = escape(words["update_sms"].format(**{**filled, "link": ""}), quote=False)
        return Message(body=f"<speak>{spoken}</speak>", language=language)
    sms = words["update_sms"].format(**{**filled, "title": short})
    if channel is Channel.SMS:
        return Message(body=sms, language=language)
    subject = words["update_subject"].format(**{**filled, "title": short})
    if channel is Channel.PUSH:
        return Message(body=sms, subject=subject, language=language, link=url or None)
    page = words["page"].format(url=url) if url else ""
    body = words["update_body"].format(**filled, page=page)
    return Message(body=body, subject=subject, language=language)


def update_due_message(
    channel: Channel, candidates: Sequence[str], values: Mapping[str, str | int]
) -> Message:
    """``values``: number, title, ref, incident_id and every (minutes)."""
    language = next((c for c in candidates if c in WORDS), "en")
    words = WORDS[language]
    short = {**values, "title": _short(str(values["title"]))}
    sms = words["due_sms"].format(**short)
    if channel in (Channel.SMS, Channel.VOICE):
        return Message(body=sms, language=language)
    subject = words["due_subject"].format(**short)
    if channel is Channel.PUSH:
        return Message(body=sms, subject=subject, language=language)
    return Message(body=words["due_body"].format(**values), subject=subject, language=language)


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_IN_SMS else title[: _TITLE_IN_SMS - 1] + "…"
