"""The one table that turns domain errors into HTTP answers.

Every error body has the same shape::

    {"error": {"code": "invalid_event", "message": "severity: must be one of ...",
               "field": "severity"}}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.core.errors import (
    AuthenticationFailed,
    InvalidEvent,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TocsinError,
    TransientError,
    UnsupportedMediaType,
)
from chalicelib.observability import logger

# Most specific first: the first matching class decides.
ERROR_TABLE: tuple[tuple[type[TocsinError], int, str], ...] = (
    (InvalidEvent, 400, "invalid_event"),
    (PayloadTooLarge, 413, "payload_too_large"),
    (UnsupportedMediaType, 415, "unsupported_media_type"),
    (InvalidInput, 400, "invalid_request"),
    (AuthenticationFailed, 401, "unauthorized"),
    (NotFound, 404, "not_found"),
    (TransientError, 503, "unavailable"),
)


def error_response(error: TocsinError) -> Response:
    status, code = next(
        ((status, code) for kind, status, code in ERROR_TABLE if isinstance(error, kind)),
        (500, "internal_error"),
    )
    body: dict[str, Any] = {"code": code, "message": str(error)}
    if isinstance(error, InvalidEvent):
        body = {"code": code, "message": error.message, "field": error.field}
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="tocsin"'
    if status == 503:
        headers["Retry-After"] = "5"
    return Response(body={"error": body}, status_code=status, headers=headers)


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Route decorator: answer domain errors through :data:`ERROR_TABLE`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except TocsinError as error:
            response = error_response(error)
            logger.info(
                "request refused",
                extra={
                    "status": response.status_code,
                    "error_code": response.body["error"]["code"],
                },
            )
            return response

    return wrapper
