# ruff: noqa: RUF001 - full-width punctuation is correct in Traditional Chinese
"""The page to the release role when messages are held past the budget, in their language.

Tocsin's own words (not the playbook's templates: a template set need not know about budgets),
in the four languages of the example templates, English as the fallback. It names the first
incident whose messages were held and tells how to decide (tocsin holds list). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape  # xml.sax.saxutils' would import urllib.request (cold start)

from chalicelib.core.model import Channel, Message

_TITLE_IN_SMS = 60  # characters of the incident's title in the text; the rest is the ask

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "sms": "TOCSIN BUDGET: messages held past the hourly budget (first: {title}, ref {ref})."
        " Release or cancel them: tocsin holds list",
        "subject": "[Tocsin] Messages held past the budget",
        "text": "This hour's message budget is spent, so Tocsin is holding further messages "
        "instead of sending them. Nothing is lost: they wait for you.\n\n"
        "First held for: {title} (ref {ref})\n\n"
        "See what is held, and release or cancel it:\n"
        "  tocsin holds list\n"
        "  tocsin holds release HOLD_ID --as YOUR_CONTACT_ID\n"
        "  tocsin holds cancel HOLD_ID --as YOUR_CONTACT_ID\n"
        "or POST /v1/holds/HOLD_ID/release (or /cancel) with your personal key.\n\n"
        "You are told once an hour while messages are being held.\n",
        "voice": "Tocsin budget alert. Messages are being held past the hourly message budget. "
        "The first is for {title}. Use tocsin holds list to release or cancel them.",
    },
    "da": {
        "sms": "TOCSIN BUDGET: beskeder holdes tilbage over timebudgettet (første: {title}, "
        "ref {ref}). Frigiv eller annullér: tocsin holds list",
        "subject": "[Tocsin] Beskeder holdt tilbage over budgettet",
        "text": "Timens beskedbudget er brugt, så Tocsin holder yderligere beskeder tilbage i "
        "stedet for at sende dem. Intet går tabt: de venter på dig.\n\n"
        "Først holdt tilbage for: {title} (ref {ref})\n\n"
        "Se hvad der holdes tilbage, og frigiv eller annullér det:\n"
        "  tocsin holds list\n"
        "  tocsin holds release HOLD_ID --as DIT_KONTAKT_ID\n"
        "  tocsin holds cancel HOLD_ID --as DIT_KONTAKT_ID\n"
        "eller POST /v1/holds/HOLD_ID/release (eller /cancel) med din personlige nøgle.\n\n"
        "Du får besked én gang i timen, så længe beskeder holdes tilbage.\n",
        "voice": "Tocsin budgetalarm. Beskeder holdes tilbage over timebudgettet. Den første "
        "gælder {title}. Brug tocsin holds list for at frigive eller annullere dem.",
    },
    "nb": {
        "sms": "TOCSIN BUDSJETT: meldinger holdes tilbake over timebudsjettet (første: {title}, "
        "ref {ref}). Frigi eller avbryt: tocsin holds list",
        "subject": "[Tocsin] Meldinger holdt tilbake over budsjettet",
        "text": "Timens meldingsbudsjett er brukt opp, så Tocsin holder videre meldinger "
        "tilbake i stedet for å sende dem. Ingenting går tapt: de venter på deg.\n\n"
        "Først holdt tilbake for: {title} (ref {ref})\n\n"
        "Se hva som holdes tilbake, og frigi eller avbryt det:\n"
        "  tocsin holds list\n"
        "  tocsin holds release HOLD_ID --as DIN_KONTAKT_ID\n"
        "  tocsin holds cancel HOLD_ID --as DIN_KONTAKT_ID\n"
        "eller POST /v1/holds/HOLD_ID/release (eller /cancel) med din personlige nøkkel.\n\n"
        "Du får beskjed én gang i timen så lenge meldinger holdes tilbake.\n",
        "voice": "Tocsin budsjettvarsel. Meldinger holdes tilbake over timebudsjettet. Den "
        "første gjelder {title}. Bruk tocsin holds list for å frigi eller avbryte dem.",
    },
    "zh-Hant": {
        "sms": "TOCSIN 預算：超出每小時預算的訊息已暫停（第一則：{title}，ref {ref}）。"
        "放行或取消：tocsin holds list",
        "subject": "[Tocsin] 超出預算的訊息已暫停",
        "text": "本小時的訊息預算已用完，Tocsin 暫停發送其餘訊息。"
        "沒有任何訊息遺失：它們在等您決定。\n\n"
        "第一則暫停的事件：{title}（ref {ref}）\n\n"
        "查看暫停的訊息，並放行或取消：\n"
        "  tocsin holds list\n"
        "  tocsin holds release HOLD_ID --as 您的聯絡人ID\n"
        "  tocsin holds cancel HOLD_ID --as 您的聯絡人ID\n"
        "或以您的個人金鑰呼叫 POST /v1/holds/HOLD_ID/release（或 /cancel）。\n\n"
        "訊息暫停期間，每小時通知您一次。\n",
        "voice": "Tocsin 預算警報。超出每小時預算的訊息已暫停。第一則是關於 {title}。"
        "請用 tocsin holds list 放行或取消。",
    },
}


def budget_notice(channel: Channel, candidates: Sequence[str], title: str, ref: str) -> Message:
    """What ``channel`` says to the release role; ``candidates``: the reader's languages,
    most specific first (from :func:`language_candidates`)."""
    language = next((c for c in candidates if c in WORDS), "en")
    words = WORDS[language]
    short = title if len(title) <= _TITLE_IN_SMS else title[: _TITLE_IN_SMS - 1] + "…"
    sms = words["sms"].format(title=short, ref=ref)
    if channel is Channel.VOICE:
        spoken = words["voice"].format(title=escape(title, quote=False), ref=ref)
        return Message(body=f"<speak>{spoken}</speak>", language=language)
    if channel is Channel.SMS:
        return Message(body=sms, language=language)
    subject = words["subject"]
    if channel is Channel.PUSH:
        return Message(body=sms, subject=subject, language=language)
    return Message(
        body=words["text"].format(title=title, ref=ref), subject=subject, language=language
    )
