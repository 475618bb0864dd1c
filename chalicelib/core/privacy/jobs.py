"""An erasure job: its state, its progress and what it changed (counts, never the data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.core.ids import new_ulid
from chalicelib.core.privacy.scrubbing import Person

# The kinds of record an erasure counts, as the tables hold them.
RECORD_KINDS = (
    "events",
    "incidents",
    "timeline",
    "sends",
    "passes",
    "message_ids",
    "dedup",
    "holds",  # messages held past the budget, and who released or cancelled them
    "canaries",  # canary rounds, whose messages went to their contacts
    "dropin",  # Opsgenie alerts and requests, PagerDuty change events
    "credentials",  # API keys bound to the person: revoked
    "calendars",  # the person's calendar links: revoked
    "overrides",  # on-call overrides naming the person
    "checkins",  # check-ins: who was asked, their answers (the latest's key moves)
    "leads",  # other people's profiles whose lead (reports_to) they were
    "idempotency",  # answers kept for retried requests (Idempotency-Key)
    "queue_failures",  # why queue messages failed (redacted, but it may name their id)
    "other",
)


class ErasureStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"


class BeginOutcome(StrEnum):
    BEGUN = "begun"  # this job was recorded and the person left the directory
    RUNNING = "running"  # another erasure of the person began first
    CHANGED = "changed"  # the person was saved again since they were read: read them again


def new_erasure_id(now: datetime) -> str:
    return f"era_{new_ulid(now)}"


@dataclass(frozen=True)
class ErasureJob:
    """``person`` is known while the job runs (it is what the job looks for) and forgotten
    when it is done; ``cursor`` is where the next slice starts (opaque to the core)."""

    job_id: str
    status: ErasureStatus
    pseudonym: str
    requested_by: str
    requested_via: str
    requested_at: datetime
    person: Person | None
    updated_at: datetime
    cursor: str | None = None
    version: int = 0
    scanned: int = 0
    changed: Mapping[str, int] = field(default_factory=dict)
    failures: int = 0
    last_error: str | None = None
    finished_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.status is ErasureStatus.DONE

    @property
    def records_changed(self) -> int:
        return sum(self.changed.values())

    def to_document(self) -> dict[str, Any]:
        """What the API and the command show: state and counts, never who was erased."""
        return {
            "job_id": self.job_id,
            "status": self.status.value,
            "pseudonym": self.pseudonym,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "records_scanned": self.scanned,
            "records_changed": self.records_changed,
            "changed": {kind: self.changed.get(kind, 0) for kind in RECORD_KINDS},
            "failures": self.failures,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class Slice:
    """One bounded piece of the work: how many records were read, and where to go on
    (None: the end of the table)."""

    scanned: int
    cursor: str | None
