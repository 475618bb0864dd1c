"""Who is calling: the API key from the header (or body) each tool can send, then the path it may
call, its signature and replay, and its rate, in events.

Every route that needs a key calls :func:`authenticate` once, before it reads the body's
meaning. The order matters: a key refused on this path spends neither its rate nor a signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from chalice.app import Request

from chalicelib.core.access import (
    INTEGRATIONS,
    ApiKey,
    Scope,
    SignedRequest,
    scope_for,
    verify_signature,
)
from chalicelib.core.errors import AuthenticationFailed, PayloadTooLarge
from chalicelib.core.model import CanonicalEvent
from chalicelib.settings import DEFAULT_LOCAL_API_KEY
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.activation.intake import Sender
    from chalicelib.core.activation.ports import RateCharge


BEARER = "send 'Authorization: Bearer <api key>'"


def bearer_key(headers: Mapping[str, str]) -> str | None:
    return _scheme_key(headers, "bearer")


def genie_key(headers: Mapping[str, str]) -> str | None:
    """Opsgenie sends ``Authorization: GenieKey <key>``."""
    return _scheme_key(headers, "geniekey")


def authenticate(
    credential: str | None,
    services: Container,
    request: Request,
    body: bytes = b"",
    how: str = BEARER,
    counts_events: bool = False,
) -> ApiKey:
    """The caller's key, once it is valid here, allowed on this path, signed if it must be and
    within its rate. ``counts_events``: the request carries events, and the caller admits them
    with :func:`admit_events` once it knows how many (the rate counts events, not requests)."""
    if not credential:
        raise AuthenticationFailed(how)
    if credential == DEFAULT_LOCAL_API_KEY and not services.settings.is_local:
        raise AuthenticationFailed("the local development key is not valid on this stage")
    key = services.api_keys.find(credential)
    if key is None:
        raise AuthenticationFailed("the API key is not valid")
    key.require_path(request.path)
    now = services.clock.now()
    if key.signing_secrets:
        headers = request.headers
        signature_digest = verify_signature(
            key.signing_secrets,
            headers.get("x-tocsin-timestamp"),
            headers.get("x-tocsin-signature"),
            signed_request(request, body),
            now,
        )
        services.replay_guard.first_use(signature_digest, now)
    if not counts_events:
        services.rate_limiter.admit(key.name, key.rate_per_minute, now)
    return key


def reader(request: Request) -> Container:
    """The services, for a caller whose bearer key has the ``read`` scope."""
    services = container()
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(Scope.READ)
    return services


def admit_events(key: ApiKey, count: int) -> RateCharge:
    """What ``count`` events cost against the key's rate (a request without events counts
    one), counted as they are recorded; a request that could never fit is 413."""
    count = max(count, 1)
    if count > key.rate_per_minute:
        raise PayloadTooLarge(
            f"this request carries {count} events; the key {key.name!r} may send "
            f"{key.rate_per_minute} a minute: send them in smaller requests, or give the key "
            "a higher --rate"
        )
    from chalicelib.core.activation.ports import RateCharge

    return RateCharge(key.name, key.rate_per_minute, count)


def sender_for(
    services: Container, key: ApiKey, credential: str | None, integration: str | None = None
) -> Sender:
    """What the intake must know of a key: its namespace, what each event needs (the scope for
    its action, a type on its allow-list), its rate, and what is never to be kept."""
    from chalicelib.core.activation.intake import Sender

    def allow(event: CanonicalEvent) -> None:
        key.require(scope_for(event.action))
        key.require_type(event.type)

    found = INTEGRATIONS.get(integration) if integration else None
    return Sender(
        namespace=key.dedup_namespace,
        allow=allow,
        admit=lambda count: admit_events(key, count),
        secrets=(credential,) if credential else (),
        secret_fields=found.secret_fields if found else frozenset(),
    )


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """The request as the client addressed it: the route's path with its parameters filled in
    (percent-encoded), without the API Gateway stage prefix, so one signature is valid at
    ``https://API/api/v1/...`` and behind a custom domain alike."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(value, safe="-_.~"))
    query = request.query_params
    return SignedRequest(
        method=request.method,
        path=path,
        query={name: query.getlist(name) for name in query} if query else {},
        body=body,
    )


def _scheme_key(headers: Mapping[str, str], scheme: str) -> str | None:
    given, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() or None if given.lower() == scheme else None
