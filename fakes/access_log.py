"""The record of who read, saved or erased a contact, in memory, by the rules of
``storage/audit.py``: every record kept until its own ``keep_until``, a person's oldest first
(contract suite: ``tests/functional/test_privacy_contracts.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.core.errors import TransientError
from chalicelib.core.privacy.audit import AccessRecord


class MemoryAccessLog:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        """``now``: the clock that decides which records have expired (default: the system's)."""
        self.records: list[AccessRecord] = []
        self.refusing = False  # True: record() fails, as DynamoDB does when it throttles
        self._now = now or (lambda: datetime.now(UTC))

    def record(self, entry: AccessRecord) -> None:
        if self.refusing:
            raise TransientError("DynamoDB: ThrottlingException")
        self.records.append(entry)

    def for_contact(self, contact_id: str) -> list[AccessRecord]:
        """Every record still kept, oldest first (an expired one is gone, whether or not
        DynamoDB's TTL has deleted it yet)."""
        now = self._now()
        kept = [r for r in self.records if r.contact_id == contact_id and r.keep_until > now]
        return sorted(kept, key=lambda record: record.at)
