"""HTTPS to chat and social platforms with urllib: one request with a timeout, and the retry
loop around it (429 and 5xx, with backoff, Retry-After respected and bounded; never a 4xx).

What failed decides what may be tried again:
    no connection, refused, DNS       the platform never had the request: retried
    a timeout or a dropped connection the request went out, its answer was lost: the post may
    after the request was sent        be up (SendOutcomeUnknown); retried only when the
                                      caller says a retry is safe (Mastodon's Idempotency-Key)
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core.errors import PermanentSendError, SendOutcomeUnknown, TransientSendError

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # then 1s, 2s...
MAX_WAIT_SECONDS = 4.0  # a Retry-After longer than this is not waited for: publish again later
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})  # the local stack's stand-ins, over http


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace").strip()[:200]


Opener = Callable[[urllib.request.Request, float], Any]


def _open(request: urllib.request.Request, timeout: float) -> Any:
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - https, checked


def checked_url(url: str, what: str) -> str:
    """``url`` if it is an https URL (or http to this machine's stand-ins); otherwise a
    permanent error naming ``what`` (never the URL: it is the secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.hostname:
        raise PermanentSendError("bad_secret", f"{what} is not a URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        raise PermanentSendError("bad_secret", f"{what} must be an https URL")
    return url


class Http:
    def __init__(
        self,
        opener: Opener = _open,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = TIMEOUT_SECONDS,
        attempts: int = ATTEMPTS,
    ) -> None:
        self._opener = opener
        self._sleep = sleep
        self._timeout = timeout
        self.attempts = attempts

    def once(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], api: str
    ) -> Answer:
        checked_url(url, api)
        request = urllib.request.Request(  # noqa: S310 - https (or the local stand-ins), checked
            url, data=body, headers=dict(headers), method=method
        )
        try:
            with self._opener(request, self._timeout) as response:
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read(), dict(error.headers or {}))
        except urllib.error.URLError as error:  # before the request was sent
            raise TransientSendError(
                "unreachable", f"{api}: {type(error.reason).__name__}"
            ) from error
        except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise SendOutcomeUnknown(type(error).__name__, f"{api}: no answer came") from error

    def with_retries(
        self, call: Callable[[], Answer], api: str, retry_unknown: bool
    ) -> tuple[Answer, int]:
        """The first answer that is not 429 or 5xx, and the attempts it took."""
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                answer = call()
            except SendOutcomeUnknown:
                if last or not retry_unknown:
                    raise
                self._sleep(_backoff(attempt))
                continue
            except TransientSendError:
                if last:
                    raise
                self._sleep(_backoff(attempt))
                continue
            if answer.status != 429 and answer.status < 500:
                return answer, attempt
            wait = _retry_after(answer.headers, attempt)
            if answer.status == 429 and (last or wait > MAX_WAIT_SECONDS):
                raise TransientSendError(
                    "rate_limited", f"{api}: 429, retry after {wait:.0f}s", throttled=True
                )
            if last:
                raise TransientSendError(f"http_{answer.status}", f"{api}: {answer.status}")
            self._sleep(min(wait, MAX_WAIT_SECONDS))
        raise AssertionError("unreachable")  # pragma: no cover


def _backoff(attempt: int) -> float:
    return float(min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_WAIT_SECONDS))


def _retry_after(headers: Mapping[str, str], attempt: int) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return MAX_WAIT_SECONDS + 1  # an HTTP date: later than we wait
    return _backoff(attempt)
