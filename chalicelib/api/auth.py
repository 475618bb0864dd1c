"""Who is calling: API keys from the header each tool can send, then signature, replay and rate."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.core.access import ApiKey, Scope, verify_signature
from chalicelib.core.errors import AuthenticationFailed
from chalicelib.settings import DEFAULT_LOCAL_API_KEY
from chalicelib.wiring import Container, container


def bearer_key(headers: Mapping[str, str]) -> str | None:
    return _scheme_key(headers, "bearer")


def genie_key(headers: Mapping[str, str]) -> str | None:
    """Opsgenie sends ``Authorization: GenieKey <key>``."""
    return _scheme_key(headers, "geniekey")


def authenticate(
    credential: str | None,
    services: Container,
    headers: Mapping[str, str],
    body: bytes = b"",
    integration: str | None = None,
    how: str = "send 'Authorization: Bearer <api key>'",
) -> ApiKey:
    """The caller's key, once it is valid here, signed if it must be, and within its rate."""
    if not credential:
        raise AuthenticationFailed(how)
    if credential == DEFAULT_LOCAL_API_KEY and not services.settings.is_local:
        raise AuthenticationFailed("the local development key is not valid on this stage")
    key = services.api_keys.find(credential)
    if key is None:
        raise AuthenticationFailed("the API key is not valid")
    if integration:
        key.require_integration(integration)
    now = services.clock.now()
    if key.signing_secrets:
        signature_digest = verify_signature(
            key.signing_secrets,
            headers.get("x-tocsin-timestamp"),
            headers.get("x-tocsin-signature"),
            body,
            now,
        )
        services.replay_guard.first_use(signature_digest, now)
    services.rate_limiter.admit(key.name, key.rate_per_minute, now)
    return key


def reader(headers: Mapping[str, str]) -> Container:
    """The services, for a caller whose bearer key has the ``read`` scope."""
    services = container()
    key = authenticate(bearer_key(headers), services, headers)
    key.require(Scope.READ)
    return services


def _scheme_key(headers: Mapping[str, str], scheme: str) -> str | None:
    given, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() or None if given.lower() == scheme else None
