"""The one table that turns domain errors into HTTP answers, in the envelope each caller expects.

Tocsin's own shape::

    {"error": {"code": "invalid_event", "message": "severity: must be one of ...",
               "field": "severity"},
     "errors": [{"field": "severity", "message": "must be one of ..."},
                {"field": "summary", "message": "is required"}]}

``error`` is the first problem; ``errors`` (present when fields are at fault) lists every one.

PagerDuty- and Opsgenie-compatible endpoints answer in those tools' envelopes instead (the same
status codes), so their clients read the errors they know.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from chalice.app import Response

from chalicelib.core.errors import (
    AuthenticationFailed,
    Conflict,
    FieldProblem,
    Forbidden,
    Gone,
    IdempotencyKeyReused,
    InvalidEvent,
    InvalidInput,
    InvalidPolicy,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    SendError,
    TocsinError,
    TransientError,
    TransientSendError,
    UnsupportedMediaType,
)
from chalicelib.observability import logger

# Most specific first: the first matching class decides.
ERROR_TABLE: tuple[tuple[type[TocsinError], int, str], ...] = (
    (InvalidEvent, 400, "invalid_event"),
    (InvalidRequest, 400, "invalid_request"),
    (PayloadTooLarge, 413, "payload_too_large"),
    (IdempotencyKeyReused, 422, "idempotency_key_reused"),
    (UnsupportedMediaType, 415, "unsupported_media_type"),
    (InvalidInput, 400, "invalid_request"),
    (InvalidPolicy, 400, "invalid_policy"),
    (AuthenticationFailed, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (Gone, 410, "gone"),
    (RateLimited, 429, "rate_limited"),
    (TransientError, 503, "unavailable"),
    (TransientSendError, 503, "unavailable"),
    (SendError, 502, "send_failed"),
)


@dataclass(frozen=True)
class Failure:
    status: int
    code: str
    message: str
    field: str | None
    headers: dict[str, str | list[str]]
    problems: tuple[FieldProblem, ...] = ()


def classify(error: TocsinError) -> Failure:
    status, code = next(
        ((status, code) for kind, status, code in ERROR_TABLE if isinstance(error, kind)),
        (500, "internal_error"),
    )
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tocsin"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    elif status == 503:
        headers["Retry-After"] = "5"
    if isinstance(error, InvalidRequest):
        return Failure(status, code, error.message, error.field, headers, error.problems)
    return Failure(status, code, str(error), None, headers)


def tocsin_envelope(failure: Failure) -> Response:
    body: dict[str, Any] = {"code": failure.code, "message": failure.message}
    if failure.field is not None:
        body["field"] = failure.field
    answer: dict[str, Any] = {"error": body}
    if failure.problems:
        answer["errors"] = [{"field": p.field, "message": p.message} for p in failure.problems]
    return Response(body=answer, status_code=failure.status, headers=failure.headers)


def pagerduty_envelope(failure: Failure) -> Response:
    """PagerDuty Events API v2: ``{"status", "message", "errors"}``."""
    status = {400: "invalid event", 429: "throttle exceeded"}.get(failure.status, failure.code)
    details = [f"{p.field}: {p.message}" for p in failure.problems] or [failure.message]
    body = {"status": status, "message": failure.message, "errors": details}
    return Response(body=body, status_code=failure.status, headers=failure.headers)


def opsgenie_envelope(failure: Failure) -> Response:
    """Opsgenie Alert API: ``{"message", "took", "requestId"}``; wrong fields are 422 (a body
    that is not JSON at all stays 400)."""
    status = 422 if failure.status == 400 and failure.problems else failure.status
    message = f"{failure.field}: {failure.message}" if failure.field else failure.message
    body: dict[str, Any] = {"message": message, "took": 0.0, "requestId": str(uuid.uuid4())}
    if failure.problems:
        body["errors"] = {p.field: p.message for p in failure.problems}
    return Response(body=body, status_code=status, headers=failure.headers)


Renderer = Callable[[Failure], Response]
View = TypeVar("View", bound=Callable[..., Any])


def errors_as(render: Renderer) -> Callable[[View], View]:
    """Route decorator: answer domain errors through :data:`ERROR_TABLE` and ``render``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except TocsinError as error:
                failure = classify(error)
                logger.info(
                    "request refused", extra={"status": failure.status, "error_code": failure.code}
                )
                return render(failure)

        return cast(View, wrapper)

    return decorate


json_errors = errors_as(tocsin_envelope)
