"""Remove personal data (phone numbers, email addresses) and bearer secrets from text."""

from __future__ import annotations

import re

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
