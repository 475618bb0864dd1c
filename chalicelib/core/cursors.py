"""Cursors that page through one list query and no other.

A cursor is opaque to callers: base64url JSON holding where the last page stopped (a time and
an id) and a fingerprint of the query's filters. Given with other filters, or altered, it is
refused (400 naming ``cursor``) instead of paging through something else. It grants nothing: a
key that may read a list may read every page of it anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_VERSION = 1
_MAX_LENGTH = 512
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_IDS = {
    "incidents": re.compile(rf"inc_{_ULID}"),
    "events": re.compile(rf"evt_{_ULID}"),
    "drills": re.compile(rf"drl_{_ULID}"),
}


@dataclass(frozen=True)
class Position:
    """Where a page stopped: the time and id of the last item it covered."""

    at: datetime
    item_id: str


def fingerprint(kind: str, filters: Mapping[str, str | None]) -> str:
    """What a cursor remembers of its query: the kind of list and every filter's value."""
    canonical = json.dumps([kind, sorted(filters.items())], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def make_cursor(kind: str, filters: Mapping[str, str | None], position: Position) -> str:
    document = {
        "v": _VERSION,
        "q": fingerprint(kind, filters),
        "at": position.at.isoformat(),
        "id": position.item_id,
    }
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(text: str, kind: str) -> tuple[Position, str] | None:
    """The position and query fingerprint in a cursor for a list of ``kind``; None when it is
    not one this API made (malformed, altered, another kind of list, too long)."""
    if len(text) > _MAX_LENGTH or not text.isascii():
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(document, dict) or document.get("v") != _VERSION:
        return None
    at = _instant(document.get("at"))
    item_id, query = document.get("id"), document.get("q")
    if at is None or not isinstance(item_id, str) or not _IDS[kind].fullmatch(item_id):
        return None
    if not isinstance(query, str):
        return None
    return Position(at, item_id), query


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
        return at.astimezone(UTC) if at.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
