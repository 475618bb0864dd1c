"""Remove personal data (phone numbers, email addresses) and secrets from text and payloads."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# E.164 and the common written forms of international numbers ("+1 202-555-0101").
_PHONE = re.compile(r"\+\d[\d\s().-]{6,20}\d")
# North American national forms: 202-555-0101, (202) 555-0101, 202.555.0101, 202 555 0101.
_NATIONAL_PHONE = re.compile(r"(?<![\w.])(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?![\w.]?\d)")
_BEARER = re.compile(r"(?i)((?:bearer|geniekey)\s+)[A-Za-z0-9._~+/=-]+")
# Tocsin's own API keys (tcs_) and signing secrets (tss_), wherever they appear.
_TOCSIN_SECRET = re.compile(r"(?<![A-Za-z0-9])t(?:cs|ss)_[A-Za-z0-9_-]{8,}")
_SHORTEST_SECRET = 8  # shorter values are not credentials Tocsin accepts; never mask them

EMAIL_MASK = "<email>"
PHONE_MASK = "<phone>"
SECRET_MASK = "<secret>"  # noqa: S105 - the mask that replaces secrets


def redact(text: str) -> str:
    """``text`` with every email address, phone number (international, or in the North
    American national forms), bearer key and Tocsin key or signing secret masked."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _PHONE.sub(PHONE_MASK, text)
    text = _NATIONAL_PHONE.sub(PHONE_MASK, text)
    text = _BEARER.sub(rf"\1{SECRET_MASK}", text)
    return _TOCSIN_SECRET.sub(SECRET_MASK, text)


def withhold_secrets(
    value: Any, secrets: Collection[str] = (), fields: Collection[str] = ()
) -> Any:
    """``value`` (text, or lists and objects of it) with no credential left in it.

    A field named in ``fields`` (any depth, any case: ``routing_key``) is masked whole; each of
    ``secrets`` (the credential the caller presented) and anything shaped like a Tocsin key or
    signing secret is masked wherever it appears, in keys and values alike.
    """
    names = {name.lower() for name in fields}
    needles = sorted((s for s in secrets if len(s) >= _SHORTEST_SECRET), key=len, reverse=True)

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            for needle in needles:
                item = item.replace(needle, SECRET_MASK)
            return _TOCSIN_SECRET.sub(SECRET_MASK, item)
        if isinstance(item, list):
            return [clean(element) for element in item]
        if isinstance(item, Mapping):
            return {
                clean(str(key)): SECRET_MASK if str(key).lower() in names else clean(element)
                for key, element in item.items()
            }
        return item

    return clean(value)
