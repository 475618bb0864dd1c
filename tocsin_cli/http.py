"""A small client for Tocsin's HTTP API, for the commands that act as a person with their own
key (``tocsin ack --key``). The key goes in ``Authorization`` only: never printed, and never
sent over plain HTTP except to this machine.

The transport is one method, as httpx's is, so a test can hand the requests to the app in
process (``chalice.test.Client``) and everything above it is what runs for real.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from chalicelib.core.errors import InvalidInput, TocsinError

KEY_VARIABLE = "TOCSIN_KEY"  # your personal key, so it is not on the command line
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ApiRefused(TocsinError):
    """The API answered with an error: its status, code and message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__((f"{field}: " if field else "") + f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class ApiUnreachable(TocsinError):
    """Nothing answered at the API's address."""


class Transport(Protocol):
    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        """(status, body) of the answer; raises ApiUnreachable when nothing answers."""
        ...


class UrllibTransport:
    def __init__(self, timeout: float = 15) -> None:
        self._timeout = timeout

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - TocsinApi allows http(s) only
            url, data=body, method=method, headers=dict(headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError as error:  # URLError, refused connections and timeouts among them
            reason = getattr(error, "reason", error)
            raise ApiUnreachable(f"cannot reach Tocsin's API at {url}: {reason}") from None


class TocsinApi:
    def __init__(self, base_url: str, key: str, transport: Transport | None = None) -> None:
        parts = urlsplit(base_url)
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if parts.scheme != "https" and not local:
            raise InvalidInput(
                f"refusing to send your key to {base_url}: use https (plain http only to "
                "127.0.0.1 or localhost)"
            )
        self._base = base_url.rstrip("/")
        self._key = key
        self._transport = transport or UrllibTransport()

    def post(self, path: str, document: Any = None) -> Any:
        """POST ``document`` as JSON (nothing when None); the answer's JSON, or ApiRefused."""
        return self.request("POST", path, document)

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def request(self, method: str, path: str, document: Any = None) -> Any:
        """Send ``document`` as JSON (nothing when None); the answer's JSON, or ApiRefused."""
        headers = {"Authorization": f"Bearer {self._key}"}
        body = None
        if document is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(document).encode()
        status, raw = self._transport.send(method, self._base + path, headers, body)
        return _answer(status, raw)

    def get_raw(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` as it came (a CSV export, say): the status and the body."""
        headers = {"Authorization": f"Bearer {self._key}"}
        return self._transport.send("GET", self._base + path, headers, None)


def _answer(status: int, raw: bytes) -> Any:
    """The answer's JSON, or ApiRefused with the error Tocsin gave."""
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    if status >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        message = error.get("message") or raw.decode(errors="replace")[:300] or "no answer"
        field = error.get("field")
        code = str(error.get("code", "error"))
        raise ApiRefused(status, code, str(message), str(field) if field else None)
    return answer
