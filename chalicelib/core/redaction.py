"""Remove personal data (phone numbers, email addresses) and bearer secrets from text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# E.164 and the common written forms of international numbers ("+1 202-555-0101").
_PHONE = re.compile(r"\+\d[\d\s().-]{6,20}\d")
_BEARER = re.compile(r"(?i)((?:bearer|geniekey)\s+)[A-Za-z0-9._~+/=-]+")

EMAIL_MASK = "<email>"
PHONE_MASK = "<phone>"


def redact(text: str) -> str:
    """``text`` with every email address, international phone number and bearer key masked."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _PHONE.sub(PHONE_MASK, text)
    return _BEARER.sub(r"\1<secret>", text)


def pseudonymise(value: Any, replacements: Mapping[str, str]) -> Any:
    """``value`` (text, or lists and objects of it) with every occurrence of each key replaced.

    Longer keys first, so "+12025550101" is replaced before a shorter key that it contains.
    """
    if isinstance(value, str):
        for needle in sorted(replacements, key=len, reverse=True):
            value = value.replace(needle, replacements[needle])
        return value
    if isinstance(value, list):
        return [pseudonymise(item, replacements) for item in value]
    if isinstance(value, dict):
        return {
            pseudonymise(key, replacements): pseudonymise(item, replacements)
            for key, item in value.items()
        }
    return value
