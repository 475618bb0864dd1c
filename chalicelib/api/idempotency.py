"""The ``Idempotency-Key`` header on every route that accepts events: the first answer is kept
for 24 hours and given again to a retry of the same request (``core/activation/idempotency.py``
says what counts as the same). A replayed answer carries ``Idempotent-Replayed: true``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib.core.access import ApiKey
from chalicelib.wiring import Container

if TYPE_CHECKING:
    from chalicelib.core.activation.idempotency import Answer


REPLAYED = "Idempotent-Replayed"
_KEPT_HEADERS = ("Location",)  # what else an accepting route answers with is not per request


def idempotent(
    services: Container,
    request: Request,
    key: ApiKey,
    body: bytes,
    respond: Callable[[], Response],
) -> Response:
    """``respond()`` once per ``Idempotency-Key`` of ``key``, or every time without one."""
    from chalicelib.core.activation.idempotency import HEADER, Answer, fingerprint

    def handle() -> Answer:
        response = respond()
        headers = {
            name: str(response.headers[name]) for name in _KEPT_HEADERS if name in response.headers
        }
        return Answer(response.status_code, _text(response.body), headers)

    answer = services.idempotency.run(
        key.name,
        request.headers.get(HEADER.lower()),
        fingerprint(request.method, request.path, body),
        handle,
    )
    headers: dict[str, str | list[str]] = {**answer.headers, "Content-Type": "application/json"}
    if answer.replayed:
        headers[REPLAYED] = "true"
    return Response(body=answer.body, status_code=answer.status, headers=headers)


def _text(body: Any) -> str:
    """The body as Chalice would send it (compact JSON)."""
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
