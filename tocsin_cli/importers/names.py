"""Playbook ids from the names people gave things in the tool they leave."""

from __future__ import annotations

import re
import unicodedata

_NOT_ID = re.compile(r"[^a-z0-9]+")
MAX_ID = 64


def slug(text: str) -> str:
    """``"IT Duty / Primary (EU)"`` -> ``it-duty-primary-eu``; empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ID.sub("-", ascii_text.lower()).strip("-")


class Names:
    """Unique ids of one kind (schedules, layers of a schedule...), each with ``prefix``."""

    def __init__(self, prefix: str = "", taken: set[str] | None = None) -> None:
        self._prefix = prefix
        self._taken = set(taken or ())

    def make(self, *candidates: str, fallback: str = "imported") -> str:
        base = next((slug(c) for c in candidates if slug(c)), fallback)
        base = (self._prefix + base)[: MAX_ID - 4].strip("-")
        name, number = base, 1
        while name in self._taken:
            number += 1
            name = f"{base}-{number}"
        self._taken.add(name)
        return name
