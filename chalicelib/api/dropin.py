"""PagerDuty's and Opsgenie's own APIs, at their own paths, so their clients and every tool with
a "PagerDuty/Opsgenie API URL" setting work against Tocsin by changing only the host.

Behind a custom domain (``infra/``: ``apiDomainName``) these paths are at the host's root, as at
``events.pagerduty.com`` and ``api.opsgenie.com``. The routes live in ``dropin_pagerduty.py``
and ``dropin_opsgenie.py``; this module holds what they share. Which key may call them is issue
#17's: the paths are declared in ``core/access.INTEGRATIONS`` (a key bound to pagerduty or
opsgenie calls its tool's /v1 and /v2 paths and nothing else), each route authenticates with
``api/auth.authenticate``, and events go through the intake with ``sender_for``'s sender (the
key's dedup namespace, its scopes and types, its rate, the credential withheld).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Request

from chalicelib.api.auth import sender_for
from chalicelib.api.body import json_body
from chalicelib.core.access import INTEGRATIONS, ApiKey
from chalicelib.core.errors import InvalidInput
from chalicelib.core.model import ReceivedEvent
from chalicelib.core.redaction import withhold_secrets
from chalicelib.integrations.common import Document, IntegrationDefaults
from chalicelib.observability import logger
from chalicelib.wiring import Container

if TYPE_CHECKING:
    from chalicelib.core.activation.intake import Sender


@dataclass(frozen=True)
class Caller:
    """An authenticated drop-in caller: its key, the credential it presented, its tool."""

    key: ApiKey
    credential: str | None
    integration: str  # "pagerduty" | "opsgenie"

    @property
    def namespace(self) -> str:
        """Whose alerts, dedup keys and changes these are (#17's namespace)."""
        return self.key.dedup_namespace

    def withheld(self, payload: Any) -> Any:
        """``payload`` with no credential left in it (the presented key anywhere, the tool's
        credential fields at any depth): what the drop-in stores keep of a request."""
        fields = INTEGRATIONS[self.integration].secret_fields
        secrets = (self.credential,) if self.credential else ()
        return withhold_secrets(payload, secrets, fields)

    def sender(self, services: Container, counted: bool = True) -> Sender:
        """The intake's sender; ``counted=False``: the request was counted against the key's
        rate when it was authenticated (one event per request), so the event is not again."""
        sender = sender_for(services, self.key, self.credential, self.integration)
        return sender if counted else dataclasses.replace(sender, admit=lambda _: None)


def accept(
    services: Container, caller: Caller, document: Document, original: Any, counted: bool = True
) -> ReceivedEvent:
    """Queue one event as the key may send it (the scope for its action, its types, its
    namespace); the original payload goes along, credentials withheld by the intake."""
    [received] = services.ingest.accept_many(
        [document],
        caller.sender(services, counted),
        format=caller.integration,
        original=original,
    )
    logger.info(
        "drop-in event accepted",
        extra={
            "integration": caller.integration,
            "key": caller.key.name,
            "event_ids": [received.event_id],
        },
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
