"""PagerDuty's and Opsgenie's own APIs, at their own paths, so their clients and every tool with
a "PagerDuty/Opsgenie API URL" setting work against Tocsin by changing only the host.

Behind a custom domain (``infra/``: ``apiDomainName``) these paths are at the host's root, as at
``events.pagerduty.com`` and ``api.opsgenie.com``. The routes live in ``dropin_pagerduty.py``
and ``dropin_opsgenie.py``; this module holds what they share, and the declared paths of each
integration: a key bound to an integration (``--integration``) may call these paths and the
integration's ``/v1/integrations/<name>`` (issue #17 joins them into one table).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chalice.app import Request

from chalicelib.api.body import json_body
from chalicelib.core.access import ApiKey, scope_for
from chalicelib.core.errors import InvalidInput
from chalicelib.core.model import CanonicalEvent, ReceivedEvent
from chalicelib.integrations.common import Document, IntegrationDefaults
from chalicelib.observability import logger
from chalicelib.wiring import Container

# path (as routed, parameters in braces) -> the integration whose keys may call it
DROPIN_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "/v2/enqueue": "pagerduty",
        "/v2/change/enqueue": "pagerduty",
        "/v2/alerts": "opsgenie",
        "/v2/alerts/{identifier}": "opsgenie",
        "/v2/alerts/{identifier}/acknowledge": "opsgenie",
        "/v2/alerts/{identifier}/close": "opsgenie",
        "/v2/alerts/{identifier}/notes": "opsgenie",
        "/v2/alerts/requests/{requestId}": "opsgenie",
        "/v2/heartbeats/{name}/ping": "opsgenie",
    }
)

# The payload fields these formats carry credentials in: never kept (issue #17 withholds them
# everywhere, deeply; these paths drop them before anything is stored).
CREDENTIAL_FIELDS = frozenset({"routing_key", "service_key", "apiKey"})


def sender_namespace(key: ApiKey) -> str:
    """Whose alerts, dedup keys and changes these are: the key's --source, else its name (the
    namespace issue #17 gives dedup keys, so keys that replace each other share it)."""
    return f"source:{key.source}" if key.source else f"key:{key.name}"


def without_credentials(payload: Any) -> Any:
    if isinstance(payload, Mapping):
        return {name: value for name, value in payload.items() if name not in CREDENTIAL_FIELDS}
    return payload


def accept(
    services: Container, key: ApiKey, integration: str, document: Document, original: Any
) -> ReceivedEvent:
    """Queue one event as the key may send it (the scope for its action); the original payload
    goes along, without credentials."""

    def allow(event: CanonicalEvent) -> None:
        key.require(scope_for(event.action))

    [received] = services.ingest.accept_many(
        [document], format=integration, original=without_credentials(original), allow=allow
    )
    logger.info(
        "drop-in event accepted",
        extra={"integration": integration, "key": key.name, "event_ids": [received.event_id]},
    )
    return received


def defaults(key: ApiKey) -> IntegrationDefaults:
    return IntegrationDefaults(event_type=key.event_type or "it.alert", source=key.source)


def optional_json(request: Request, limit: int) -> Any:
    """An optional JSON body (acknowledge, close, ping): none, or an object."""
    raw = request.raw_body or b""
    if not raw.strip():
        return {}
    payload, _ = json_body(request, limit)
    if not isinstance(payload, Mapping):
        raise InvalidInput("the body must be a JSON object")
    return payload


class Stopwatch:
    """Opsgenie's ``took`` (seconds) and a ``requestId`` for answers that have none of their own."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def took(self) -> float:
        return round(time.monotonic() - self._started, 3)

    def answer(self, body: Mapping[str, Any], request_id: str | None = None) -> dict[str, Any]:
        return {**body, "took": self.took(), "requestId": request_id or str(uuid.uuid4())}
