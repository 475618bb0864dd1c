"""A stand-in for the console's Cognito user pool: its own RSA key and key set, and codes that
exchange for ID tokens it signs, once, with the PKCE verifier of the sign-in that asked."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.core.console.idp_tokens import IdentityPool
from chalicelib.core.errors import AuthenticationFailed


class LocalIdentityProvider:
    def __init__(self, pool: IdentityPool) -> None:
        self.pool = pool
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, tuple[str, str]] = {}  # code: (challenge, token)
        self.exchanged: list[str] = []  # the redirect addresses codes were exchanged for

    @property
    def authorize_url(self) -> str:
        return "https://sign-in.example.com/oauth2/authorize"

    def key_set(self) -> Mapping[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": "local-1", "alg": "RS256", "use": "sig"}]}

    def sign_in(self, challenge: str, now: datetime, **claims: Any) -> str:
        """A person signs in at the pool: the code the browser brings back to the console."""
        token = self.token(now, **claims)
        code = secrets.token_urlsafe(16)
        self._codes[code] = (challenge, token)
        return code

    def token(self, now: datetime, **claims: Any) -> str:
        body = {
            "sub": "sub-ada",
            "iss": self.pool.issuer,
            "aud": self.pool.client_id,
            "token_use": "id",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
            "email": "ada@example.com",
            "email_verified": True,
            "cognito:groups": ["tocsin-read", "tocsin-resolve"],
            **claims,
        }
        return jwt.encode(body, self._key, algorithm="RS256", headers={"kid": "local-1"})

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        found = self._codes.pop(code, None)
        if found is None:
            raise AuthenticationFailed("the identity provider refused the sign-in (400)")
        challenge, token = found
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            raise AuthenticationFailed("the identity provider refused the sign-in (400)")
        self.exchanged.append(redirect_uri)
        return token
