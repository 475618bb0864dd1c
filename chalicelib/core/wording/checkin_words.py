# ruff: noqa: RUF001 - full-width punctuation is correct in Traditional Chinese
"""Tocsin's own words for check-ins ("are you safe?"), in the languages of the example templates.

The question and its options come from whoever starts the check-in, in as many languages as
they give; without them, the defaults below ("Are you safe?", "I am safe", "I need help").
What frames them (how to answer, what was recorded, a reminder) is Tocsin's, here, with
English as the fallback. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.core.wording.languages import language_candidates

DEFAULT_QUESTION: Mapping[str, str] = {
    "en": "Are you safe?",
    "da": "Er du i sikkerhed?",
    "nb": "Er du trygg?",
    "zh-Hant": "您安全嗎？",
}
DEFAULT_OPTIONS: Mapping[str, tuple[str, str]] = {
    "en": ("I am safe", "I need help"),
    "da": ("Jeg er i sikkerhed", "Jeg har brug for hjælp"),
    "nb": ("Jeg er trygg", "Jeg trenger hjelp"),
    "zh-Hant": ("我很安全", "我需要幫助"),
}

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "heading": "TOCSIN CHECK-IN",
        "reminder": "REMINDER",
        "reply_digit": "Reply with the number of your answer",
        "reply_code": "Reply with {code} and the number of your answer (such as {code} 1)",
        "or_link": "or tap",
        "subject": "[Tocsin check-in] {question}",
        "email_intro": "Please answer, even if all is well. You can change your answer later.",
        "answer_by": "Answer here: {url}\nor reply to the text message with the number.",
        "voice": "To answer, reply to the text message with the number of your answer, or "
        "open the link in your text message or email.",
        "option_spoken": "Answer {number}: {text}.",
        "recorded": "Recorded: {option}. Reply with another number to change it.",
        "recorded_late": "Recorded after the deadline: {option}.",
        "unchanged": "Your answer is already: {option}.",
        "not_an_option": "{digit} is not an answer here. Reply with one of {choices}.",
        "several": "You have {count} open check-ins: {listing}. Reply with the code, then "
        "the number, such as {example}.",
        "none_open": "You have no open check-in to answer.",
        "help_on_way": "Someone will contact you.",
        "page_choose": "Tap your answer. You can change it later.",
        "page_not_an_option": "That is not one of the answers here. Tap one of the answers below.",
        "page_current": "Your answer: {option} ({at}).",
        "page_closed": "This check-in is closed; an answer now is recorded as late.",
        "lead_sms": 'TOCSIN CHECK-IN: {count} of your people have not answered "{question}": '
        "{names}",
        "lead_subject": "[Tocsin check-in] {count} of your people have not answered",
        "exercise": "This is an exercise.",
    },
    "da": {
        "heading": "TOCSIN TJEK",
        "reminder": "PÅMINDELSE",
        "reply_digit": "Svar med nummeret på dit svar",
        "reply_code": "Svar med {code} og nummeret på dit svar (f.eks. {code} 1)",
        "or_link": "eller tryk",
        "subject": "[Tocsin tjek] {question}",
        "email_intro": "Svar venligst, også hvis alt er godt. Du kan ændre dit svar senere.",
        "answer_by": "Svar her: {url}\neller svar på sms'en med nummeret.",
        "voice": "Svar på sms'en med nummeret på dit svar, eller åbn linket i din sms eller "
        "e-mail.",
        "option_spoken": "Svar {number}: {text}.",
        "recorded": "Registreret: {option}. Svar med et andet nummer for at ændre det.",
        "recorded_late": "Registreret efter fristen: {option}.",
        "unchanged": "Dit svar er allerede: {option}.",
        "not_an_option": "{digit} er ikke et svar her. Svar med et af {choices}.",
        "several": "Du har {count} åbne tjek: {listing}. Svar med koden og derefter nummeret, "
        "f.eks. {example}.",
        "none_open": "Du har intet åbent tjek at svare på.",
        "help_on_way": "Nogen vil kontakte dig.",
        "page_choose": "Tryk på dit svar. Du kan ændre det senere.",
        "page_not_an_option": "Det er ikke et af svarene her. Tryk på et af svarene nedenfor.",
        "page_current": "Dit svar: {option} ({at}).",
        "page_closed": "Tjekket er lukket; et svar nu registreres som for sent.",
        "lead_sms": 'TOCSIN TJEK: {count} af dine folk har ikke svaret på "{question}": {names}',
        "lead_subject": "[Tocsin tjek] {count} af dine folk har ikke svaret",
        "exercise": "Dette er en øvelse.",
    },
    "nb": {
        "heading": "TOCSIN SJEKK",
        "reminder": "PÅMINNELSE",
        "reply_digit": "Svar med nummeret på svaret ditt",
        "reply_code": "Svar med {code} og nummeret på svaret ditt (f.eks. {code} 1)",
        "or_link": "eller trykk",
        "subject": "[Tocsin sjekk] {question}",
        "email_intro": "Svar, selv om alt er bra. Du kan endre svaret senere.",
        "answer_by": "Svar her: {url}\neller svar på SMS-en med nummeret.",
        "voice": "Svar på SMS-en med nummeret på svaret ditt, eller åpne lenken i SMS-en eller "
        "e-posten.",
        "option_spoken": "Svar {number}: {text}.",
        "recorded": "Registrert: {option}. Svar med et annet nummer for å endre det.",
        "recorded_late": "Registrert etter fristen: {option}.",
        "unchanged": "Svaret ditt er allerede: {option}.",
        "not_an_option": "{digit} er ikke et svar her. Svar med ett av {choices}.",
        "several": "Du har {count} åpne sjekker: {listing}. Svar med koden og så nummeret, "
        "f.eks. {example}.",
        "none_open": "Du har ingen åpen sjekk å svare på.",
        "help_on_way": "Noen vil kontakte deg.",
        "page_choose": "Trykk på svaret ditt. Du kan endre det senere.",
        "page_not_an_option": "Det er ikke et av svarene her. Trykk på et av svarene nedenfor.",
        "page_current": "Svaret ditt: {option} ({at}).",
        "page_closed": "Sjekken er lukket; et svar nå registreres som for sent.",
        "lead_sms": 'TOCSIN SJEKK: {count} av dine har ikke svart på "{question}": {names}',
        "lead_subject": "[Tocsin sjekk] {count} av dine har ikke svart",
        "exercise": "Dette er en øvelse.",
    },
    "zh-Hant": {
        "heading": "TOCSIN 安全確認",
        "reminder": "提醒",
        "reply_digit": "請回覆您答案的號碼",
        "reply_code": "請回覆 {code} 加上答案號碼（例如 {code} 1）",
        "or_link": "或點選",
        "subject": "[Tocsin 安全確認] {question}",
        "email_intro": "即使一切安好也請回覆。您之後可以更改答案。",
        "answer_by": "在此回覆：{url}\n或以答案號碼回覆簡訊。",
        "voice": "請以答案號碼回覆簡訊，或開啟簡訊或電子郵件中的連結。",
        "option_spoken": "答案 {number}：{text}。",
        "recorded": "已記錄：{option}。回覆其他號碼即可更改。",
        "recorded_late": "已於期限後記錄：{option}。",
        "unchanged": "您的答案已是：{option}。",
        "not_an_option": "{digit} 不是可選的答案。請回覆 {choices} 之一。",
        "several": "您有 {count} 個未結的安全確認：{listing}。"
        "請先回覆代碼再加號碼，例如 {example}。",
        "none_open": "您沒有需要回覆的安全確認。",
        "help_on_way": "將有人與您聯繫。",
        "page_choose": "請點選您的答案。您之後可以更改。",
        "page_not_an_option": "這不是可選的答案。請點選下面其中一個答案。",
        "page_current": "您的答案：{option}（{at}）。",
        "page_closed": "此安全確認已結束；現在的答案會記錄為逾期。",
        "lead_sms": "TOCSIN 安全確認：您的 {count} 位成員尚未回覆「{question}」：{names}",
        "lead_subject": "[Tocsin 安全確認] 您的 {count} 位成員尚未回覆",
        "exercise": "這是演練。",
    },
}


def checkin_says(language: str, key: str, **values: Any) -> str:
    """``key`` in the person's language (English when Tocsin has no words in theirs)."""
    for candidate in language_candidates(language):
        phrase = WORDS.get(candidate, {}).get(key)
        if phrase is not None:
            return phrase.format(**values)
    return WORDS["en"][key].format(**values)


def in_language(texts: Mapping[str, str], language: str, fallback: str = "en") -> str:
    """The text in the person's language, else the fallback's, else the first given."""
    for candidate in [*language_candidates(language), fallback, "en"]:
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()))
