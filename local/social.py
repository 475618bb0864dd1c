"""Slack, Microsoft Teams and Mastodon on the local stack: each post is recorded in the outbox
with its channel (slack, teams, mastodon), and answered as the platform answers.

    POST /_local/slack/<hook>                  {"text": ...}: 200 ok; revoked: 403 invalid_token
    POST /_local/teams/<hook>                      an Adaptive Card message: 202; revoked: 401
    POST /_local/mastodon/api/v1/statuses          Bearer token, Idempotency-Key (the same key
                                                   answers the same status, recorded once);
                                                   revoked: 401 {"error": ...}
    GET  /_local/mastodon/api/v1/accounts/verify_credentials   200 {"acct": ...}; revoked: 401
    GET  /_local/social                            which stand-ins answer as revoked
    PUT  /_local/social {"revoked": ["mastodon"]}  those answer as a revoked token or webhook
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from local.outbox import Outbox

CHANNELS = ("slack", "teams", "mastodon")
PREFIX = "/_local/"
SETTINGS = "/_local/social"
Answer = tuple[int, bytes]


class SocialStandIn:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.revoked: set[str] = set()
        self._statuses: dict[str, str] = {}  # Idempotency-Key -> status id
        self._lock = threading.Lock()

    @staticmethod
    def handles(path: str) -> bool:
        return path == SETTINGS or any(path.startswith(f"{PREFIX}{c}/") for c in CHANNELS)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """As a WSGI application of its own (the tests serve it alone on 127.0.0.1)."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        status, payload = self.handle(
            environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), headers, body
        )
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}", [("Content-Type", _type(payload))]
        )
        return [payload]

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        if path == SETTINGS:
            return self._settings(method, body)
        channel, _, rest = path.removeprefix(PREFIX).partition("/")
        if channel == "mastodon":
            return self._mastodon(method, rest, headers, body)
        if method != "POST":
            return 405, b"invalid_method"
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, b"invalid_payload"
        if channel == "slack":
            if "slack" in self.revoked:
                return 403, b"invalid_token"
            text = payload.get("text") if isinstance(payload, dict) else None
            if not isinstance(text, str) or not text:
                return 400, b"no_text"
            self._record("slack", "slack:incoming-webhook", rest, text, "")
            return 200, b"ok"
        if "teams" in self.revoked:
            return 401, _json({"error": {"code": "DirectApiAuthorizationRequired"}})
        text = _card_text(payload)
        if text is None:
            return 400, _json({"error": {"code": "InvalidRequestContent"}})
        self._record("teams", "teams:workflow-webhook", rest, text, "")
        return 202, b""

    def _mastodon(self, method: str, rest: str, headers: Mapping[str, str], body: bytes) -> Answer:
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token or "mastodon" in self.revoked:
            return 401, _json({"error": "The access token was revoked"})
        if method == "GET" and rest == "api/v1/accounts/verify_credentials":
            return 200, _json({"id": "1", "username": "status", "acct": "status"})
        if method != "POST" or rest != "api/v1/statuses":
            return 404, _json({"error": "Record not found"})
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, _json({"error": "not JSON"})
        text = payload.get("status") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text:
            return 422, _json({"error": "Validation failed: Text can't be blank"})
        if len(text) > 500:
            return 422, _json({"error": "Validation failed: Text character limit of 500 exceeded"})
        key = headers.get("idempotency-key", "") or str(uuid.uuid4())
        with self._lock:
            status_id = self._statuses.get(key)
            if status_id is None:
                status_id = self._statuses[key] = str(100_000 + len(self._statuses))
                self._record("mastodon", "mastodon:statuses", "@status", text, status_id)
        return 200, _json({"id": status_id, "content": text, "visibility": "public"})

    def _settings(self, method: str, body: bytes) -> Answer:
        if method == "PUT":
            try:
                revoked = json.loads(body or b"{}").get("revoked")
            except (ValueError, AttributeError):
                revoked = None
            if not isinstance(revoked, list) or not set(revoked) <= set(CHANNELS):
                return 400, _json({"error": f"revoked: a list of {', '.join(CHANNELS)}"})
            self.revoked = set(revoked)
        elif method != "GET":
            return 405, _json({"error": 'GET, or PUT {"revoked": [...]}'})
        return 200, _json({"revoked": sorted(self.revoked)})

    def _record(self, channel: str, api: str, destination: str, text: str, message_id: str) -> None:
        subject, _, body = text.partition("\n\n")
        self.outbox.record(
            channel=channel,
            api=api,
            destination=destination,
            subject=subject if body else None,
            body=body or subject,
            message_id=message_id or str(uuid.uuid4()),
        )


def _card_text(payload: Any) -> str | None:
    """The text of a Workflows message's Adaptive Card, its blocks joined by blank lines."""
    try:
        (attachment,) = payload["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        blocks = attachment["content"]["body"]
        return "\n\n".join(str(block["text"]) for block in blocks if block["type"] == "TextBlock")
    except (KeyError, TypeError, ValueError, AssertionError):
        return None


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def _type(payload: bytes) -> str:
    return "application/json" if payload.startswith((b"{", b"[")) else "text/plain"
