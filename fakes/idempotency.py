"""Requests by their ``Idempotency-Key`` in memory, by the rules of ``storage/idempotency.py``
(one contract suite, ``tests/functional/test_idempotency_store.py``, runs against both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.activation.ports import KeptAnswer, KeptRequest


@dataclass
class _Request:
    claim: str
    fingerprint: str
    started_at: datetime
    expires_at: datetime
    answer: KeptAnswer | None = None


class MemoryIdempotencyStore:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str], _Request] = {}

    def begin(
        self,
        scope: str,
        key: str,
        claim_id: str,
        fingerprint: str,
        now: datetime,
        stale_before: datetime,
        expires_at: datetime,
    ) -> KeptRequest | None:
        held = self.requests.get((scope, key))
        # The adapter compares expiry in whole seconds (DynamoDB's TTL attribute).
        free = (
            held is None
            or int(held.expires_at.timestamp()) < int(now.timestamp())
            or (held.answer is None and held.started_at < stale_before)
        )
        if not free:
            assert held is not None
            return KeptRequest(held.fingerprint, held.answer)
        self.requests[(scope, key)] = _Request(claim_id, fingerprint, now, expires_at)
        return None

    def complete(self, scope: str, key: str, claim_id: str, answer: KeptAnswer) -> None:
        held = self.requests.get((scope, key))
        if held is not None and held.claim == claim_id:
            held.answer = answer

    def abandon(self, scope: str, key: str, claim_id: str) -> None:
        held = self.requests.get((scope, key))
        if held is not None and held.claim == claim_id:
            del self.requests[(scope, key)]
