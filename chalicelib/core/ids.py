"""Time-sortable identifiers (ULID layout: 48-bit milliseconds, 80 random bits)."""

from __future__ import annotations

import secrets
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def new_ulid(now: datetime) -> str:
    """A 26-character ULID for ``now``; sorts by creation time."""
    millis = int(now.timestamp() * 1000)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_event_id(now: datetime) -> str:
    return f"evt_{new_ulid(now)}"


def incident_id_for_event(event_id: str) -> str:
    """The incident an event would open: derived, so a redelivered event opens the same one."""
    return "inc_" + event_id.removeprefix("evt_")
