"""Acknowledgement links and reply codes: short, signed, bound to one person and one incident.

A link is ``{public_url}/a/{token}``: 16 characters of base32 from an HMAC-SHA256 of the incident
and the person under a secret only Tocsin holds (80 bits: not guessable, and not forgeable
without the secret). It is short enough for an SMS. The reply code is 4 digits from the same
HMAC, for "1234 ACK" replies; it only has to tell apart the incidents a person was paged for,
since the sender's number must also be a person paged for the incident. Pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

LINK_LIFETIME = timedelta(days=3)
TOKEN_LENGTH = 16
_TOKEN = re.compile(r"[a-z2-7]{16}")


@dataclass(frozen=True)
class ResponderPass:
    """What lets one person answer for one incident: their link token and reply code."""

    incident_id: str
    contact_id: str
    token: str
    code: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _mac(secret: bytes, purpose: str, incident_id: str, contact_id: str) -> bytes:
    message = f"{purpose}\x1f{incident_id}\x1f{contact_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def link_token(secret: bytes, incident_id: str, contact_id: str) -> str:
    digest = _mac(secret, "link", incident_id, contact_id)
    return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]


def reply_code(secret: bytes, incident_id: str, contact_id: str) -> str:
    digest = _mac(secret, "code", incident_id, contact_id)
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


def issue_pass(secret: bytes, incident_id: str, contact_id: str, now: datetime) -> ResponderPass:
    return ResponderPass(
        incident_id=incident_id,
        contact_id=contact_id,
        token=link_token(secret, incident_id, contact_id),
        code=reply_code(secret, incident_id, contact_id),
        expires_at=now + LINK_LIFETIME,
    )


def well_formed(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def genuine(secret: bytes, found: ResponderPass, token: str) -> bool:
    """The stored pass really was issued for this token under our secret."""
    expected = link_token(secret, found.incident_id, found.contact_id)
    return hmac.compare_digest(expected, token)


def ack_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/a/{token}"


_REPLY = re.compile(
    r"^\s*(?:(?P<code1>\d{4})\s+(?P<word1>[^\W\d_]+)|(?P<word2>[^\W\d_]+)(?:\s+(?P<code2>\d{4}))?)"
    r"\s*[.!]?\s*$"
)
ACK_WORDS = frozenset({"ack", "ok", "yes", "acknowledge", "acknowledged", "ja", "kvitter"})
DECLINE_WORDS = frozenset({"no", "nej", "nei", "decline", "cant", "unable"})
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout"})
HELP_WORDS = frozenset({"help", "info", "hjælp", "hjelp"})


@dataclass(frozen=True)
class Reply:
    """What an inbound SMS asks: ``intent`` is ack, decline, stop, help or unknown."""

    intent: str
    code: str | None = None


def parse_reply(body: str) -> Reply:
    """ "1234 ACK", "ack 1234", "ACK", "1234 NO", "STOP", "HELP"; anything else is unknown."""
    match = _REPLY.match(body.strip())
    if match is None:
        return Reply("unknown")
    word = (match.group("word1") or match.group("word2") or "").lower()
    code = match.group("code1") or match.group("code2")
    for intent, words in (
        ("stop", STOP_WORDS),
        ("help", HELP_WORDS),
        ("ack", ACK_WORDS),
        ("decline", DECLINE_WORDS),
    ):
        if word in words:
            return Reply(intent, code)
    return Reply("unknown", code)
