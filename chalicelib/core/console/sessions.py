"""Console sessions: a signed, short-lived, person-bound credential kept in a cookie.

    sign in (personal key, or the identity provider's ID token)
        ──▶ Session(person, scopes, key name | idp, expires)  ──issue──▶  cookie value
    every request: cookie ──read──▶ Session (or SessionRefused: forged, expired, malformed)
    every form:    csrf_token(session) in a hidden field ──check_csrf──▶ or SessionRefused

The cookie is ``<base64url JSON>.<base64url HMAC-SHA256>``, signed with a key derived from the
stack's link secret (the one that signs acknowledgement links) and a purpose label, so a
signature made for one use is never valid for the other. Nothing secret is in the cookie: it
names the person, the scopes, the key it was made with, and a random nonce; its CSRF token is
an HMAC of that nonce, so a token from another session never matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.core.access import Scope
from chalicelib.core.credentials import Answerer, Credential
from chalicelib.core.errors import AuthenticationFailed, Forbidden

SESSION_HOURS = 8
_PURPOSE = b"tocsin console session v1"
_MAX_COOKIE = 2048


class SignedInWith(StrEnum):
    KEY = "key"  # a personal API key, checked again on every request
    IDP = "idp"  # the organisation's identity provider, through Cognito


class SessionRefused(AuthenticationFailed):
    """A session cookie that is missing, forged, malformed or expired (401)."""


class CsrfRefused(Forbidden):
    """A form without this session's CSRF token (403)."""


@dataclass(frozen=True)
class Session:
    contact_id: str
    scopes: frozenset[Scope]
    signed_in_with: SignedInWith
    holder: str  # the key's name, or the identity provider's subject
    issued_at: datetime
    expires_at: datetime
    nonce: str

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(
                f"you ({self.contact_id}) do not have the {scope.value} scope: ask for a key "
                "or a group that grants it"
            )

    def answerer(self) -> Answerer:
        """The person, through their console session: a person-bound credential."""
        return Answerer(self.contact_id, Credential.CONSOLE, self.holder, "console")


def session_key(secret: bytes) -> bytes:
    """The key that signs sessions and CSRF tokens, derived from the stack's link secret."""
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def new_session(
    contact_id: str,
    scopes: frozenset[Scope],
    signed_in_with: SignedInWith,
    holder: str,
    now: datetime,
    lasts: timedelta = timedelta(hours=SESSION_HOURS),
) -> Session:
    return Session(
        contact_id=contact_id,
        scopes=scopes,
        signed_in_with=signed_in_with,
        holder=holder,
        issued_at=now,
        expires_at=now + lasts,
        nonce=secrets.token_urlsafe(18),
    )


def issue(key: bytes, session: Session) -> str:
    payload = json.dumps(
        {
            "p": session.contact_id,
            "s": sorted(scope.value for scope in session.scopes),
            "w": session.signed_in_with.value,
            "h": session.holder,
            "i": int(session.issued_at.timestamp()),
            "e": int(session.expires_at.timestamp()),
            "n": session.nonce,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    body = _b64(payload)
    return f"{body}.{_b64(_mac(key, b'session:' + body.encode()))}"


def read(key: bytes, value: str | None, now: datetime) -> Session:
    """The session a cookie carries, once its signature and expiry are checked."""
    if not value:
        raise SessionRefused("you are not signed in")
    body, _, signature = value.partition(".")
    if len(value) > _MAX_COOKIE or not body or not signature:
        raise SessionRefused("the session cookie is malformed: sign in again")
    expected = _b64(_mac(key, b"session:" + body.encode()))
    if not hmac.compare_digest(expected, signature):
        raise SessionRefused("the session cookie is not genuine: sign in again")
    try:
        fields = json.loads(_unb64(body))
        session = Session(
            contact_id=str(fields["p"]),
            scopes=frozenset(Scope(scope) for scope in fields["s"]),
            signed_in_with=SignedInWith(fields["w"]),
            holder=str(fields["h"]),
            issued_at=datetime.fromtimestamp(int(fields["i"]), tz=now.tzinfo),
            expires_at=datetime.fromtimestamp(int(fields["e"]), tz=now.tzinfo),
            nonce=str(fields["n"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise SessionRefused("the session cookie is malformed: sign in again") from error
    if session.expires_at <= now:
        raise SessionRefused(
            f"your session expired at {session.expires_at:%Y-%m-%d %H:%M} UTC: sign in again"
        )
    return session


def csrf_token(key: bytes, session: Session) -> str:
    return _b64(_mac(key, b"csrf:" + session.nonce.encode()))


def check_csrf(key: bytes, session: Session, given: str | None) -> None:
    if not given:
        raise CsrfRefused("the form has no CSRF token: reload the page and try again")
    if not hmac.compare_digest(csrf_token(key, session), given):
        raise CsrfRefused("the form's CSRF token is wrong: reload the page and try again")


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
