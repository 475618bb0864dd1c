"""Reading request bodies: size first, then media type, then syntax; each with its own error."""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Request

from chalicelib.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chalicelib.core.json_text import UnreadableJson, read_json

# Routes accept any media type at the gateway: Tocsin checks it itself, to answer in its own format.
ANY_CONTENT = ["*/*"]
JSON_MEDIA = re.compile(r"application/([a-z0-9.+-]+\+)?json")
XML_MEDIA = re.compile(r"(application|text)/([a-z0-9.+-]+\+)?xml")


def raw_body(request: Request, limit: int, media: re.Pattern[str], expected: str) -> bytes:
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is {len(body)} bytes; the limit is {limit}")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media.fullmatch(media_type):
        raise UnsupportedMediaType(
            f"the body must be sent as 'Content-Type: {expected}', "
            f"not {media_type or 'no content type'!r}"
        )
    return body


def json_body(request: Request, limit: int) -> tuple[Any, bytes]:
    """The parsed JSON body and the raw bytes (signatures are over the raw bytes). Every route
    that reads JSON reads it here: syntax, nesting depth and text are checked once."""
    body = raw_body(request, limit, JSON_MEDIA, "application/json")
    try:
        return read_json(body), body
    except UnreadableJson as problem:
        raise InvalidInput(f"the body {problem}") from None
