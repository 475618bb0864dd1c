"""Who may do what: API keys, their scopes, and request signatures. Pure."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.core.errors import AuthenticationFailed, Forbidden
from chalicelib.core.model import Action

SIGNATURE_WINDOW_SECONDS = 300
SIGNATURE_PREFIX = "sha256="


class Scope(StrEnum):
    TRIGGER = "trigger"  # open or update incidents
    RESOLVE = "resolve"  # acknowledge and resolve them
    READ = "read"  # read events and incidents
    ACTIVATE = "activate"  # start, approve or reject a plan by hand (personal keys only)
    CONTACTS = "contacts"  # manage contacts (personal data)
    ONCALL = "oncall"  # enter and remove on-call overrides
    SPEND = "spend"  # release or cancel messages held past the budget (personal keys only)


def scope_for(action: Action) -> Scope:
    return Scope.TRIGGER if action is Action.TRIGGER else Scope.RESOLVE


@dataclass(frozen=True)
class ApiKey:
    """What a key is allowed; the key itself is never kept, only its digest."""

    name: str
    scopes: frozenset[Scope]
    integrations: frozenset[str] = frozenset()  # empty: every integration
    event_type: str | None = None  # default type of the events this source sends
    source: str | None = None
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)  # two during rotation
    rate_per_minute: int = 600
    contact_id: str | None = None  # a personal key: the person it acts for

    def require_person(self) -> str:
        """The contact this key acts for; manual activation and approval need a person."""
        if self.contact_id is None:
            raise Forbidden(
                f"the key {self.name!r} is not a personal key; create one with --contact"
            )
        return self.contact_id

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"the key {self.name!r} does not have the {scope.value} scope")

    def require_integration(self, integration: str) -> None:
        if self.integrations and integration not in self.integrations:
            raise Forbidden(f"the key {self.name!r} is not for the {integration} integration")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<raw body>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secrets: tuple[str, ...],
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    now: datetime,
) -> str:
    """Check a signed request; returns a digest that identifies it (for replay detection)."""
    if not timestamp or not signature_header:
        raise AuthenticationFailed(
            "this key requires signed requests: send X-Tocsin-Timestamp and X-Tocsin-Signature"
        )
    try:
        sent = int(timestamp)
    except ValueError:
        raise AuthenticationFailed("X-Tocsin-Timestamp must be Unix seconds") from None
    if abs(now.timestamp() - sent) > SIGNATURE_WINDOW_SECONDS:
        raise AuthenticationFailed("the request's timestamp is outside the five-minute window")
    if not any(
        hmac.compare_digest(signature(secret, timestamp, body), signature_header.strip())
        for secret in secrets
    ):
        raise AuthenticationFailed("the request signature does not match")
    return hashlib.sha256(signature_header.strip().encode()).hexdigest()
