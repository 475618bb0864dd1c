"""Who may do what: API keys, their scopes, integrations and event types; request signatures.

Pure. The threat model these rules serve is in docs/SECURITY.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import AuthenticationFailed, Forbidden, InvalidRequest
from chalicelib.core.model import Action

SIGNATURE_WINDOW_SECONDS = 300
SIGNATURE_PREFIX = "sha256="
_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*)?")


@dataclass(frozen=True)
class Integration:
    """A monitoring tool's format: the paths a key bound to it may call, and the payload
    fields the tool uses to carry credentials (withheld from everything stored)."""

    paths: frozenset[str]
    secret_fields: frozenset[str] = frozenset()


# The declared table: paths as routed, parameters in braces. A key created with
# --integration NAME is refused everywhere else; pagerduty and opsgenie keys may call their
# tool's own paths (/v2/..., the drop-in APIs) as well as their /v1/integrations path.
INTEGRATIONS: Mapping[str, Integration] = MappingProxyType(
    {
        "alertmanager": Integration(frozenset({"/v1/integrations/alertmanager"})),
        "grafana": Integration(frozenset({"/v1/integrations/grafana"})),
        "pagerduty": Integration(
            frozenset(
                {
                    "/v1/integrations/pagerduty",
                    # PagerDuty's own paths (api/dropin_pagerduty.py)
                    "/v2/enqueue",
                    "/v2/change/enqueue",
                }
            ),
            frozenset({"routing_key", "service_key"}),  # Events API v2, and v1's name for it
        ),
        "opsgenie": Integration(
            frozenset(
                {
                    "/v1/integrations/opsgenie",
                    # Opsgenie's own paths (api/dropin_opsgenie.py)
                    "/v2/alerts",
                    "/v2/alerts/{identifier}",
                    "/v2/alerts/{identifier}/acknowledge",
                    "/v2/alerts/{identifier}/close",
                    "/v2/alerts/{identifier}/notes",
                    "/v2/alerts/requests/{requestId}",
                    "/v2/heartbeats/{name}/ping",
                }
            ),
            frozenset({"apiKey"}),  # the legacy Opsgenie API took the GenieKey in the body
        ),
        "cap": Integration(frozenset({"/v1/integrations/cap"})),
    }
)


class Scope(StrEnum):
    TRIGGER = "trigger"  # open or update incidents
    RESOLVE = "resolve"  # acknowledge and resolve them
    READ = "read"  # read events and incidents
    ACTIVATE = "activate"  # start, approve or reject a plan by hand (personal keys only)
    CONTACTS = "contacts"  # manage contacts (personal data)
    ONCALL = "oncall"  # enter and remove on-call overrides
    SPEND = "spend"  # release or cancel messages held past the budget (personal keys only)
    CHECKIN = "checkin"  # answer a check-in as the key's person (personal keys only)
    STATEMENTS = "statements"  # draft, edit, approve, reject, publish statements (personal keys)


# The identity provider's groups that grant the console a scope: ``tocsin-read``, ...
# (core/console/idp_tokens.py reads them; infra/ creates one group per scope).
CONSOLE_GROUP_PREFIX = "tocsin-"


def scope_for(action: Action) -> Scope:
    return Scope.TRIGGER if action is Action.TRIGGER else Scope.RESOLVE


@dataclass(frozen=True)
class ApiKey:
    """What a key is allowed; the key itself is never kept, only its digest."""

    name: str
    scopes: frozenset[Scope]
    integrations: frozenset[str] = frozenset()  # empty: every path; else only theirs
    event_type: str | None = None  # default type of the events this source sends
    source: str | None = None
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)  # two during rotation
    rate_per_minute: int = 600  # events (a request without events counts one)
    contact_id: str | None = None  # a personal key: the person it acts for
    allowed_types: tuple[str, ...] = ()  # "it.outage" or "it.*"; empty: every type
    heartbeats: frozenset[str] = frozenset()  # the heartbeats it may ping (none: no pings)

    @property
    def dedup_namespace(self) -> str:
        """Where this key's dedup keys live: its source when it was given one (keys that
        replace each other share it), else its own name. Another namespace's incidents are
        out of its reach, as PagerDuty scopes dedup keys to the routing key."""
        return f"source:{self.source}" if self.source else f"key:{self.name}"

    def require_person(self) -> str:
        """The contact this key acts for; manual activation and approval need a person."""
        if self.contact_id is None:
            raise Forbidden(
                f"the key {self.name!r} is not a personal key; create one with --contact"
            )
        return self.contact_id

    def answerer(self, named: str | None, person_needed: bool = True) -> Answerer:
        """Who an answer made with this key is by. A personal key answers for its person
        only; any other key must name the person it answers for (``named``, the body's
        ``for``), and its answer is recorded without counting. ``person_needed=False``: an
        action on the incident (resolving) that may name nobody."""
        if self.contact_id is not None:
            if named is not None and named != self.contact_id:
                raise Forbidden(
                    f"the key {self.name!r} is {self.contact_id}'s personal key: it answers "
                    f"only for {self.contact_id}, not for {named}"
                )
            return Answerer.by_personal_key(self.name, self.contact_id)
        if named is None and person_needed:
            raise InvalidRequest(
                "for",
                f"is required: the key {self.name!r} is not a personal key, so name the "
                'person you answer for ({"for": "c-ada"}); such an answer is recorded '
                "but counts only when made with the person's own link, reply code or "
                "personal key",
            )
        return Answerer.by_shared_key(self.name, named)

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"the key {self.name!r} does not have the {scope.value} scope")

    def require_path(self, path: str) -> None:
        """A key bound to integrations may call only the paths those integrations declare."""
        if not self.integrations:
            return
        allowed = {p for name in self.integrations for p in _paths_of(name)}
        if path not in allowed:
            raise Forbidden(
                f"the key {self.name!r} is bound to {', '.join(sorted(self.integrations))}: "
                f"it may call {', '.join(sorted(allowed)) or 'nothing'}, not {path}"
            )

    def require_type(self, event_type: str) -> None:
        """Events (and incidents) of a type outside the key's allow-list are not its own."""
        if self.allowed_types and not any(
            type_matches(pattern, event_type) for pattern in self.allowed_types
        ):
            raise Forbidden(
                f"the key {self.name!r} may not send or answer events of type {event_type!r}; "
                f"it is allowed {', '.join(self.allowed_types)}"
            )

    def require_heartbeat(self, heartbeat_id: str) -> None:
        """Only a key bound to a heartbeat may ping it: a ping is a promise that all is well."""
        if heartbeat_id not in self.heartbeats:
            bound = ", ".join(sorted(self.heartbeats)) or "no heartbeat"
            raise Forbidden(
                f"the key {self.name!r} is not bound to heartbeat {heartbeat_id!r} (it is bound "
                f"to {bound}); create one with: tocsin keys create NAME --heartbeat {heartbeat_id}"
            )


def _paths_of(integration: str) -> frozenset[str]:
    found = INTEGRATIONS.get(integration)
    return found.paths if found else frozenset()


def is_type_pattern(value: str) -> bool:
    """An event type (``it.outage``) or a family of them (``it.*``)."""
    return bool(_TYPE_PATTERN.fullmatch(value)) and "." in value


def type_matches(pattern: str, event_type: str) -> bool:
    """``it.*`` matches ``it.outage`` and ``it.db.down``, not ``it`` or ``itx.y``."""
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers: the whole request but its headers."""

    method: str
    path: str  # as in the API description, parameters filled in; no stage prefix, no query
    query: Mapping[str, Sequence[str]]
    body: bytes


def canonical_query(query: Mapping[str, Sequence[str]]) -> str:
    """``name=value`` pairs sorted by name then value, each percent-encoded (RFC 3986: only
    ``A-Z a-z 0-9 - _ . ~`` left as they are), joined by ``&``; empty without a query."""
    pairs = sorted((name, value) for name, values in query.items() for value in values)
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def string_to_sign(timestamp: str, request: SignedRequest) -> bytes:
    """``<timestamp>\\n<METHOD>\\n<path>\\n<canonical query>\\n<raw body>``."""
    head = "\n".join(
        [timestamp, request.method.upper(), request.path, canonical_query(request.query)]
    )
    return head.encode() + b"\n" + request.body


def signature(secret: str, timestamp: str, request: SignedRequest) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over :func:`string_to_sign`."""
    mac = hmac.new(secret.encode(), string_to_sign(timestamp, request), hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def _body_only_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The first scheme, over ``<timestamp>.<raw body>`` only: recognised to say what changed,
    never accepted (it let a signature made for one path be used on another)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secrets: Iterable[str],
    timestamp: str | None,
    signature_header: str | None,
    request: SignedRequest,
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
    given = signature_header.strip()
    secrets = tuple(secrets)
    if any(hmac.compare_digest(signature(s, timestamp, request), given) for s in secrets):
        return hashlib.sha256(given.encode()).hexdigest()
    if any(
        hmac.compare_digest(_body_only_signature(s, timestamp, request.body), given)
        for s in secrets
    ):
        raise AuthenticationFailed(
            "the request signature covers only the timestamp and body; sign "
            "'<timestamp>\\n<METHOD>\\n<path>\\n<query>\\n<body>' (docs/INTEGRATIONS.md)"
        )
    raise AuthenticationFailed("the request signature does not match")


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")
