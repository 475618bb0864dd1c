"""The console's identity provider: a Cognito user pool's published keys (JWKS, cached for an
hour) and its token endpoint (the authorization code, with PKCE, exchanged for an ID token).

Plain HTTPS with the standard library: two requests a sign-in, none on other requests (the
console keeps its own signed session once the token is verified).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from chalicelib.core.console.idp_tokens import IdentityPool
from chalicelib.core.errors import AuthenticationFailed, TransientError

_CACHE_SECONDS = 3600
_TIMEOUT = 5


class CognitoIdentityProvider:
    def __init__(self, pool: IdentityPool, domain: str) -> None:
        for url in (pool.issuer, domain):
            if not url.startswith("https://"):
                raise ValueError(f"the identity provider's addresses are https: {url!r}")
        self._pool = pool
        self._domain = domain.rstrip("/")  # https://<prefix>.auth.<region>.amazoncognito.com
        self._keys: Mapping[str, Any] | None = None
        self._read_at = 0.0

    @property
    def authorize_url(self) -> str:
        return f"{self._domain}/oauth2/authorize"

    def key_set(self) -> Mapping[str, Any]:
        if self._keys is None or time.monotonic() - self._read_at > _CACHE_SECONDS:
            address = self._pool.jwks_url  # https only (checked above)
            self._keys = self._json(urllib.request.Request(address))  # noqa: S310
            self._read_at = time.monotonic()
        return self._keys

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": self._pool.client_id,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - https only (checked above)
            f"{self._domain}/oauth2/token",
            data=form,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        token = self._json(request).get("id_token")
        if not isinstance(token, str):
            raise AuthenticationFailed("the identity provider gave no ID token")
        return token

    def _json(self, request: urllib.request.Request) -> Mapping[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - https, from settings
                found = json.load(response)
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500:
                raise AuthenticationFailed(
                    f"the identity provider refused the sign-in ({error.code}): start again"
                ) from error
            raise TransientError(f"the identity provider answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise TransientError(f"the identity provider is unreachable: {error}") from error
        if not isinstance(found, dict):
            raise TransientError("the identity provider answered something other than JSON")
        return found
