"""The organisation's identity provider, through a Cognito user pool: its ID tokens checked
(RS256 against the pool's published key set, issuer, audience, expiry, ``token_use``), and
what a verified token grants in the console.

Who is who: the person is the directory contact whose email is the token's ``email`` (which the
pool must have verified); what they may do: one scope per Cognito group named ``tocsin-<scope>``
(``tocsin-read``, ``tocsin-resolve``, ``tocsin-statements``...), and ``read`` is needed to sign in
at all. docs/SECURITY.md says how to set it up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.core.access import CONSOLE_GROUP_PREFIX, Scope
from chalicelib.core.errors import AuthenticationFailed, Forbidden

GROUP_PREFIX = CONSOLE_GROUP_PREFIX
_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class IdentityPool:
    """Where tokens come from: the pool's issuer URL and the console's app client id."""

    issuer: str  # https://cognito-idp.<region>.amazonaws.com/<pool id>
    client_id: str

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    scopes: frozenset[Scope]


def verify_id_token(
    token: str, pool: IdentityPool, key_set: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The claims of a genuine, current ID token of this pool for this app client; anything
    else is refused with what is wrong (expired, another audience or issuer, a signature that
    does not match the pool's keys, a key the pool never published)."""
    import jwt  # only where a token is checked: the deployment tools import this module too

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise AuthenticationFailed(f"the identity token is malformed: {error}") from error
    if header.get("alg") != "RS256":
        raise AuthenticationFailed("the identity token is not signed with RS256")
    keys = {str(jwk.get("kid")): jwk for jwk in key_set.get("keys", []) if isinstance(jwk, dict)}
    jwk = keys.get(str(header.get("kid")))
    if jwk is None:
        raise AuthenticationFailed(
            "the identity token is signed with a key the pool never published"
        )
    try:
        public_key = jwt.PyJWK.from_dict(jwk, algorithm="RS256").key
        claims: dict[str, Any] = jwt.decode(
            token,
            key=public_key,
            algorithms=["RS256"],
            audience=pool.client_id,
            issuer=pool.issuer,
            # Expiry against the injected clock, below (PyJWT would read the system's).
            options={
                "require": ["exp", "iat", "iss", "aud", "sub"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        if int(claims["exp"]) + _LEEWAY_SECONDS <= now.timestamp():
            raise jwt.ExpiredSignatureError("Signature has expired")
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationFailed("the identity token has expired: sign in again") from error
    except jwt.InvalidAudienceError as error:
        raise AuthenticationFailed("the identity token was issued to another app") from error
    except jwt.InvalidIssuerError as error:
        raise AuthenticationFailed("the identity token comes from another issuer") from error
    except jwt.InvalidSignatureError as error:
        raise AuthenticationFailed("the identity token's signature does not match") from error
    except jwt.PyJWTError as error:
        raise AuthenticationFailed(f"the identity token is not valid: {error}") from error
    if claims.get("token_use") != "id":
        raise AuthenticationFailed("send the ID token, not an access token")
    return claims


def identity_of(claims: Mapping[str, Any]) -> Identity:
    """Who a verified token is, and the scopes their groups grant (the app client admits only
    the organisation's provider when one is configured, so ``identities`` names it)."""
    email = claims.get("email")
    # A user signed in through the organisation's provider (Cognito's ``identities`` claim)
    # has the email that provider vouches for; Cognito leaves such an email unverified (SAML
    # has no such flag). A user kept in the pool itself needs the pool to have verified it.
    federated = bool(claims.get("identities"))
    verified = federated or claims.get("email_verified") in (True, "true")
    if not isinstance(email, str) or not email or not verified:
        raise Forbidden("your identity has no verified email: the console finds you by it")
    groups = claims.get("cognito:groups") or []
    scopes = scopes_of(groups if isinstance(groups, list) else [])
    if Scope.READ not in scopes:
        raise Forbidden(
            f"your account is in no group that grants the console ({GROUP_PREFIX}read at least)"
        )
    return Identity(str(claims["sub"]), email.strip().lower(), scopes)


def scopes_of(groups: Sequence[Any]) -> frozenset[Scope]:
    known = {scope.value: scope for scope in Scope}
    return frozenset(
        known[group.removeprefix(GROUP_PREFIX)]
        for group in groups
        if isinstance(group, str)
        and group.startswith(GROUP_PREFIX)
        and group.removeprefix(GROUP_PREFIX) in known
    )


class IdentityProvider(Protocol):
    """The user pool's side of the sign-in: where the browser signs in, the pool's published
    keys, and the code exchange."""

    @property
    def authorize_url(self) -> str:
        """The hosted sign-in's authorization endpoint."""
        ...

    def key_set(self) -> Mapping[str, Any]:
        """The pool's JSON Web Key Set (``{"keys": [...]}``)."""
        ...

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        """The ID token for an authorization code (OAuth 2.0 with PKCE, no client secret)."""
        ...
