"""Acknowledgement links and reply codes: short, signed, bound to one person and one incident.

A link is ``{public_url}/a/{token}``: 16 characters of base32 from an HMAC-SHA256 of the incident
and the person under a secret only Tocsin holds (80 bits: not guessable, and not forgeable
without the secret). It is short enough for an SMS. The reply code is 4 digits from the same
HMAC, for "1234 ACK" replies; it only has to tell apart the incidents a person was paged for,
since the sender's number must also be a person paged for the incident. :class:`AckLinks`
issues them and keeps them in the registry that answers check.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from chalicelib.core.model import Incident, IncidentStatus, Notice, NotificationJob
from chalicelib.core.wording.templates import AckInfo

LINK_LIFETIME = timedelta(days=3)
TOKEN_LENGTH = 16
_TOKEN = re.compile(r"[a-z2-7]{16}")
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


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


class ResponderRegistry(Protocol):
    """The passes (link token, reply code) of the people paged for each incident."""

    def register(self, passes: Sequence[ResponderPass]) -> None: ...

    def find(self, incident_id: str, contact_id: str) -> ResponderPass | None: ...

    def by_token(self, token: str) -> ResponderPass | None: ...

    def for_contact(self, contact_id: str) -> list[ResponderPass]: ...


def _mac(secret: bytes, purpose: str, incident_id: str, contact_id: str) -> bytes:
    keyed = _keyed(secret).copy()  # the key's pads hashed once, not once a person
    keyed.update(f"{purpose}\x1f{incident_id}\x1f{contact_id}".encode())
    return keyed.digest()


@lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod=hashlib.sha256)


def link_token(secret: bytes, incident_id: str, contact_id: str) -> str:
    """The digest's base32 (RFC 4648, lower case), its first 16 characters: its first 80
    bits, written 10 at a time (two characters each) from a table."""
    bits, pairs = int.from_bytes(_mac(secret, "link", incident_id, contact_id)[:10], "big"), _PAIRS
    return (
        pairs[bits >> 70]
        + pairs[bits >> 60 & 1023]
        + pairs[bits >> 50 & 1023]
        + pairs[bits >> 40 & 1023]
        + pairs[bits >> 30 & 1023]
        + pairs[bits >> 20 & 1023]
        + pairs[bits >> 10 & 1023]
        + pairs[bits & 1023]
    )


_PAIRS = [first + second for first in _BASE32 for second in _BASE32]  # 10 bits: 2 characters


def reply_code(secret: bytes, incident_id: str, contact_id: str) -> str:
    digest = _mac(secret, "code", incident_id, contact_id)
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


def issue_pass(secret: bytes, incident_id: str, contact_id: str, now: datetime) -> ResponderPass:
    return _issued(secret, incident_id, contact_id, now + LINK_LIFETIME)


def _issued(
    secret: bytes, incident_id: str, contact_id: str, expires_at: datetime
) -> ResponderPass:
    return ResponderPass(
        incident_id=incident_id,
        contact_id=contact_id,
        token=link_token(secret, incident_id, contact_id),
        code=reply_code(secret, incident_id, contact_id),
        expires_at=expires_at,
    )


def well_formed(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def genuine(secret: bytes, found: ResponderPass, token: str) -> bool:
    """The stored pass really was issued for this token under our secret."""
    expected = link_token(secret, found.incident_id, found.contact_id)
    return hmac.compare_digest(expected, token)


def ack_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/a/{token}"


class AckLinks:
    """Issues each paged person their link and reply code, and remembers them."""

    def __init__(self, secret: bytes, public_url: str, registry: ResponderRegistry) -> None:
        self._secret = secret
        self._public_url = public_url
        self._registry = registry

    def issue(
        self, incident_id: str, contact_ids: Sequence[str], now: datetime
    ) -> dict[str, AckInfo]:
        acks, passes = self._passes(incident_id, contact_ids, now)
        self.register(passes)
        return acks

    def register(self, passes: Sequence[ResponderPass]) -> None:
        if passes:
            self._registry.register(passes)

    def for_jobs(
        self,
        incident: Incident,
        jobs: Sequence[NotificationJob],
        people: set[str],
        now: datetime,
    ) -> tuple[dict[str, AckInfo], list[ResponderPass]]:
        """Each person alerted (or asked to check in) gets their link and reply code; an
        approver paged at the gate gets theirs, to approve (ACK) or reject (NO) with. The
        passes are for the caller to register before anything is sent (the dispatcher: with
        its claims, ``claims.py``)."""
        asking = {
            IncidentStatus.OPEN: Notice.ALERT,
            IncidentStatus.AWAITING_APPROVAL: Notice.APPROVAL,
        }.get(incident.status)
        if asking is None:
            return {}, []
        answering = {asking, Notice.CHECKIN}  # a check-in is answered by link or reply too
        paged = {job.contact_id for job in jobs if job.notice in answering} & people
        return self._passes(incident.incident_id, sorted(paged), now)

    def _passes(
        self, incident_id: str, contact_ids: Sequence[str], now: datetime
    ) -> tuple[dict[str, AckInfo], list[ResponderPass]]:
        expires_at, secret = now + LINK_LIFETIME, self._secret  # the batch's: one expiry
        passes = [_issued(secret, incident_id, c, expires_at) for c in contact_ids]
        links = ack_url(self._public_url, "")  # every link but its token
        acks = {found.contact_id: AckInfo(links + found.token, found.code) for found in passes}
        return acks, passes
