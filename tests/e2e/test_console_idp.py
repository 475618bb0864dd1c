"""Signing in to the console through the organisation's identity provider, offline: a stand-in
for the Cognito user pool (fakes/identity.py) signs ID tokens with a key made in the test. The
console sends the browser to the pool with PKCE and a state, exchanges the code it brings back,
verifies the token, finds the person by email and grants the scopes of their groups; every
way that can go wrong is refused and signs nobody in."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.console.idp_tokens import IdentityPool
from chalicelib.settings import Settings
from fakes.identity import LocalIdentityProvider

POOL = IdentityPool("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example", "client-1")


@pytest.fixture
def pool(client: Client, settings: Settings) -> Iterator[LocalIdentityProvider]:
    provider = LocalIdentityProvider(POOL)
    chosen = dataclasses.replace(
        settings,
        console_idp_issuer=POOL.issuer,
        console_idp_client_id=POOL.client_id,
        console_idp_domain="https://example-tocsin.auth.eu-west-1.amazoncognito.com",
    )
    wiring.install(wiring.Container(chosen, identity_provider=provider))
    yield provider
    wiring.reset()


def cookies(answer: Any) -> list[str]:
    value = answer.headers.get("Set-Cookie", "")
    value = ", ".join(value) if isinstance(value, list) else value
    return re.findall(r"(tocsin_console(?:_state)?=[^;,]*)", value)


def start(client: Client) -> tuple[str, dict[str, str], str]:
    """The redirect to the pool: (the state cookie, the query it carries, the whole address)."""
    answer = client.http.get("/console/signin/idp")
    assert answer.status_code == 302
    assert "SameSite=Lax" in answer.headers["Set-Cookie"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    location = answer.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    (state_cookie,) = cookies(answer)
    return state_cookie, query, location


def back(client: Client, state_cookie: str, **query: str) -> Any:
    path = "/console/signin/callback?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.http.get(path, headers={"Cookie": state_cookie})


def test_the_person_signs_in_with_the_organisations_account(
    client: Client, pool: LocalIdentityProvider
) -> None:
    assert "/console/signin/idp" in client.http.get("/console/signin").body.decode()
    state_cookie, query, location = start(client)
    assert location.startswith(pool.authorize_url)
    assert query["client_id"] == "client-1" and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://127.0.0.1:8000/console/signin/callback"
    code = pool.sign_in(query["code_challenge"], datetime.now(UTC))
    answer = back(client, state_cookie, code=code, state=query["state"])
    assert answer.status_code == 200
    assert 'http-equiv="refresh"' in answer.body.decode()
    session = next(c for c in cookies(answer) if c.startswith("tocsin_console="))
    assert pool.exchanged == [query["redirect_uri"]]
    page = client.http.get("/console", headers={"Cookie": session})
    assert page.status_code == 200 and "c-ada" in page.body.decode()


@pytest.mark.parametrize(
    ("claims", "status", "says"),
    [
        ({"exp": 0}, 401, "expired"),
        ({"aud": "another-client"}, 401, "another app"),
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/other"}, 401, "another issuer"),
        ({"cognito:groups": ["staff"]}, 403, "tocsin-read"),
        ({"email": "nobody@example.com"}, 403, "no single person"),
        ({"email_verified": False}, 403, "verified email"),
    ],
)
def test_a_token_that_is_not_good_signs_nobody_in(
    client: Client, pool: LocalIdentityProvider, claims: dict[str, Any], status: int, says: str
) -> None:
    state_cookie, query, _ = start(client)
    code = pool.sign_in(query["code_challenge"], datetime.now(UTC), **claims)
    answer = back(client, state_cookie, code=code, state=query["state"])
    assert answer.status_code == status
    assert says in answer.body.decode()
    assert not any(c.startswith("tocsin_console=") and len(c) > 20 for c in cookies(answer))


def test_a_callback_not_started_here_or_replayed_signs_nobody_in(
    client: Client, pool: LocalIdentityProvider
) -> None:
    state_cookie, query, _ = start(client)
    code = pool.sign_in(query["code_challenge"], datetime.now(UTC))
    assert back(client, state_cookie, code=code, state="forged").status_code == 401
    assert back(client, "", code=code, state=query["state"]).status_code == 401
    assert back(client, state_cookie, code=code, state=query["state"]).status_code == 200
    replayed = back(client, state_cookie, code=code, state=query["state"])
    assert replayed.status_code == 401 and "refused the sign-in" in replayed.body.decode()
    other_cookie, other, _ = start(client)  # another sign-in's verifier does not fit this code
    code = pool.sign_in(query["code_challenge"], datetime.now(UTC) - timedelta(0))
    assert back(client, other_cookie, code=code, state=other["state"]).status_code == 401
    refused = back(client, state_cookie, error="access_denied", state=query["state"])
    assert refused.status_code == 401 and "access_denied" in refused.body.decode()


def test_without_an_identity_provider_there_is_no_such_sign_in(client: Client) -> None:
    assert "/console/signin/idp" not in client.http.get("/console/signin").body.decode()
    assert client.http.get("/console/signin/idp").status_code == 404
    assert client.http.get("/console/signin/callback?code=x&state=y").status_code == 404
