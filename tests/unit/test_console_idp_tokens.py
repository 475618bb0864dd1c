"""Cognito ID tokens, verified offline against a key set made here (an RSA key generated in the
test): a genuine token is accepted; an expired one, another audience or issuer, a forged
signature, an unknown key, an access token, or an unsigned one is refused; groups map to
scopes and the person is found by verified email."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.core.access import Scope
from chalicelib.core.console.idp_tokens import (
    IdentityPool,
    identity_of,
    scopes_of,
    verify_id_token,
)
from chalicelib.core.errors import AuthenticationFailed, Forbidden

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
POOL = IdentityPool("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example", "client-1")


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key_set(signing_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    return {"keys": [{**public, "kid": "key-1", "alg": "RS256", "use": "sig"}]}


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "sub": "0b4d-ada",
        "iss": POOL.issuer,
        "aud": POOL.client_id,
        "token_use": "id",
        "iat": int(NOW.timestamp()) - 60,
        "exp": int(NOW.timestamp()) + 3600,
        "email": "Ada@Example.com",
        "email_verified": True,
        "cognito:groups": ["tocsin-read", "tocsin-resolve", "staff"],
    }
    return {**base, **changes}


def token(key: rsa.RSAPrivateKey, kid: str = "key-1", **changes: Any) -> str:
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers={"kid": kid})


def test_a_genuine_token_gives_the_person_and_the_scopes_of_their_groups(
    signing_key: rsa.RSAPrivateKey, key_set: dict[str, Any]
) -> None:
    found = identity_of(verify_id_token(token(signing_key), POOL, key_set, NOW))
    assert found.email == "ada@example.com"
    assert found.scopes == {Scope.READ, Scope.RESOLVE}
    assert found.subject == "0b4d-ada"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"exp": int(NOW.timestamp()) - 60}, "expired"),
        ({"aud": "another-app"}, "another app"),
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"}, "another issuer"),
        ({"token_use": "access"}, "not an access token"),
    ],
)
def test_a_token_not_for_this_pool_and_app_or_expired_is_refused(
    signing_key: rsa.RSAPrivateKey, key_set: dict[str, Any], changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(AuthenticationFailed, match=says):
        verify_id_token(token(signing_key, **changes), POOL, key_set, NOW)


def test_a_forged_signature_or_an_unknown_key_is_refused(key_set: dict[str, Any]) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationFailed, match="signature does not match"):
        verify_id_token(token(forger), POOL, key_set, NOW)
    with pytest.raises(AuthenticationFailed, match="never published"):
        verify_id_token(token(forger, kid="key-2"), POOL, key_set, NOW)


def test_an_unsigned_or_symmetric_or_malformed_token_is_refused(key_set: dict[str, Any]) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "key-1"})
    symmetric = jwt.encode(claims(), "x" * 32, algorithm="HS256", headers={"kid": "key-1"})
    for bad in (unsigned, symmetric):
        with pytest.raises(AuthenticationFailed, match="RS256"):
            verify_id_token(bad, POOL, key_set, NOW)
    with pytest.raises(AuthenticationFailed, match="malformed"):
        verify_id_token("not.a.token", POOL, key_set, NOW)


def test_no_verified_email_or_no_console_group_is_forbidden() -> None:
    with pytest.raises(Forbidden, match="verified email"):
        identity_of(claims(email_verified=False))
    with pytest.raises(Forbidden, match="tocsin-read"):
        identity_of(claims(**{"cognito:groups": ["tocsin-resolve"]}))


def test_the_organisations_provider_vouches_for_the_email_of_a_federated_user() -> None:
    federated = claims(
        email_verified=False,
        identities=[{"providerName": "okta", "providerType": "SAML", "userId": "ada"}],
    )
    assert identity_of(federated).email == "ada@example.com"


def test_only_groups_named_for_a_scope_grant_it() -> None:
    assert scopes_of(["tocsin-statements", "tocsin-admin", "read", 7, "tocsin-read"]) == {
        Scope.STATEMENTS,
        Scope.READ,
    }


def test_the_pool_publishes_its_keys_beside_its_issuer() -> None:
    assert POOL.jwks_url == f"{POOL.issuer}/.well-known/jwks.json"


def test_clock_skew_of_thirty_seconds_is_tolerated_but_not_more(
    signing_key: rsa.RSAPrivateKey, key_set: dict[str, Any]
) -> None:
    just = token(signing_key, exp=int(NOW.timestamp()) - 20)
    verify_id_token(just, POOL, key_set, NOW)
    with pytest.raises(AuthenticationFailed, match="expired"):
        verify_id_token(
            token(signing_key, exp=int(NOW.timestamp()) - 31), POOL, key_set, NOW + timedelta(0)
        )
