"""``Idempotency-Key``: a client retrying after a timeout gets the first answer, not a second
incident.

A trigger without ``dedup_key`` gets a fresh event id per request, so a monitoring tool that
retries a request whose answer it never saw would open a second incident. With the header:

    first request ─▶ claim (key, fingerprint) ─▶ accept ─▶ keep the answer 24 h ─▶ 202
    same key, same body, within 24 h ─▶ the kept answer (same event ids), nothing queued again
    same key, another body ─▶ 422: the key is already used for something else
    same key while the first is still in flight ─▶ 409, retry shortly
    the first failed (4xx, 5xx) ─▶ the claim is dropped: a retry is handled afresh

Keys are scoped per API key (another key's same Idempotency-Key is another request) and are
1 to 255 visible ASCII characters. A claim whose request never answered (its process died) is
taken over after :data:`IN_FLIGHT_LEASE`: that request may have been accepted, so the events of
the retry are new (its dedup key, if any, still joins the first incident).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.core.activation.ports import IdempotencyStore, KeptAnswer
from chalicelib.core.errors import Conflict, IdempotencyKeyReused, InvalidRequest
from chalicelib.core.ids import new_ulid
from chalicelib.core.ports import Clock

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP = timedelta(hours=24)
IN_FLIGHT_LEASE = timedelta(seconds=60)  # longer than API Gateway waits for an answer (29 s)
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as the route made it: ``body`` is the JSON text."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False  # the kept answer of an earlier request with the same key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same: method, path and the exact body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def checked_key(given: str) -> str:
    if not 1 <= len(given) <= MAX_KEY_LENGTH or not _VISIBLE_ASCII.fullmatch(given):
        raise InvalidRequest(
            HEADER,
            f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID, say); "
            f"got {len(given)} character(s)",
        )
    return given


class Idempotency:
    def __init__(self, store: IdempotencyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def run(
        self, scope: str, key: str | None, request: str, handle: Callable[[], Answer]
    ) -> Answer:
        """``handle`` once per (``scope``, ``key``); ``request`` is the request's fingerprint.
        Without a key, ``handle`` runs every time."""
        if key is None:
            return handle()
        key = checked_key(key)
        now = self._clock.now()
        claim_id = new_ulid(now)
        kept = self._store.begin(
            scope, key, claim_id, request, now, now - IN_FLIGHT_LEASE, now + KEEP
        )
        if kept is not None:
            if kept.fingerprint != request:
                raise IdempotencyKeyReused(
                    f"the {HEADER} {key!r} was used within 24 hours for another request "
                    "(another body or path): use a new key for a new request"
                )
            first = kept.answer
            if first is None:
                raise Conflict(
                    f"a request with the {HEADER} {key!r} is still being handled: retry in a "
                    "few seconds to get its answer"
                )
            return Answer(first.status, first.body, dict(first.headers), replayed=True)
        try:
            answer = handle()
        except BaseException:
            self._store.abandon(scope, key, claim_id)
            raise
        if 200 <= answer.status < 300:
            kept_answer = KeptAnswer(answer.status, answer.body, dict(answer.headers))
            self._store.complete(scope, key, claim_id, kept_answer)
        else:
            self._store.abandon(scope, key, claim_id)
        return answer
