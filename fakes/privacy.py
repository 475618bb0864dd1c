"""Erasure in memory: its jobs, the records it scrubs and the queue that carries a job from one
slice to the next, by the rules of ``storage/erasure_jobs.py``, ``storage/erasure.py`` and
``storage/queues.py`` (contract suite: ``tests/functional/test_privacy_contracts.py``).

The jobs share the directory's state as the adapters share the contacts table: beginning takes
the person out of the :class:`~fakes.directory.MemoryDirectory` and marks them as being erased
(saving them is then refused), finishing lifts the mark; both write their access record to the
directory's log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.core.errors import TransientError
from chalicelib.core.model import Contact
from chalicelib.core.ports import Clock
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.core.privacy.jobs import BeginOutcome, ErasureJob, ErasureStatus, Slice
from chalicelib.core.privacy.scrubbing import Scrubber
from fakes.directory import MemoryDirectory


@dataclass(frozen=True)
class _Stored:
    job: ErasureJob
    keep_until: datetime | None = None  # set when done: then it expires


class MemoryErasureJobs:
    def __init__(self, directory: MemoryDirectory, clock: Clock) -> None:
        self._directory = directory
        self._clock = clock
        self._jobs: dict[str, _Stored] = {}

    def running_for(self, contact_id: str) -> str | None:
        return self._directory.erasing.get(contact_id)

    def get(self, job_id: str) -> ErasureJob | None:
        stored = self._jobs.get(job_id)
        if stored is None or (stored.keep_until and stored.keep_until <= self._clock.now()):
            return None
        return stored.job

    def begin(self, job: ErasureJob, contact: Contact, record: AccessRecord) -> BeginOutcome:
        if contact.contact_id in self._directory.erasing:
            return BeginOutcome.RUNNING
        current = self._directory.get_contacts([contact.contact_id]).get(contact.contact_id)
        if current is None or _identifiers(current) != _identifiers(contact):
            return BeginOutcome.CHANGED
        self._directory.access.record(record)
        self._directory.delete(contact)
        self._directory.erasing[contact.contact_id] = job.job_id
        self._jobs[job.job_id] = _Stored(job)
        return BeginOutcome.BEGUN

    def checkpoint(self, job: ErasureJob, cursor: str | None, scanned: int) -> ErasureJob | None:
        stored = self._running(job)
        if stored is None:
            return None
        moved = replace(
            stored,
            cursor=cursor,
            scanned=scanned,
            version=stored.version + 1,
            updated_at=self._clock.now(),
        )
        self._jobs[job.job_id] = _Stored(moved)
        return moved

    def note_failure(self, job_id: str, error: str, at: datetime) -> None:
        stored = self._jobs[job_id].job
        failed = replace(stored, failures=stored.failures + 1, last_error=error)
        self._jobs[job_id] = _Stored(failed)

    def finish(
        self, job: ErasureJob, at: datetime, keep_until: datetime, record: AccessRecord
    ) -> ErasureJob | None:
        stored = self._running(job)
        if stored is None or job.person is None:
            return None
        if self._directory.erasing.get(job.person.contact_id) != job.job_id:
            return None
        self._directory.access.record(record)
        del self._directory.erasing[job.person.contact_id]
        done = replace(
            stored,
            status=ErasureStatus.DONE,
            person=None,
            cursor=None,
            version=stored.version + 1,
            updated_at=at,
            finished_at=at,
        )
        self._jobs[job.job_id] = _Stored(done, keep_until)
        return self.get(job.job_id)

    def count(self, job_id: str, counts: Mapping[str, int]) -> None:
        """What a slice rewrote, added to the job's counts (in the same write as the rewrite)."""
        stored = self._jobs[job_id]
        changed = dict(stored.job.changed)
        for kind, number in counts.items():
            changed[kind] = changed.get(kind, 0) + number
        self._jobs[job_id] = replace(stored, job=replace(stored.job, changed=changed))

    def _running(self, job: ErasureJob) -> ErasureJob | None:
        stored = self._jobs.get(job.job_id)
        if stored is None or stored.job.version != job.version or stored.job.is_done:
            return None
        return stored.job


def _identifiers(contact: Contact) -> tuple[Any, ...]:
    """What the DynamoDB store checks before it removes a person it read."""
    return (contact.phone, contact.email, tuple(contact.roles), tuple(contact.teams))


class MemoryPersonalRecords:
    """Records as JSON-like documents under keys that name nobody, scrubbed as free text (the
    DynamoDB store knows each table's layout; the contract holds for what both can store),
    ``limit`` at a time in the order they were added; each rewrite counted on the job."""

    def __init__(self, jobs: MemoryErasureJobs) -> None:
        self._jobs = jobs
        self.records: dict[str, Any] = {}
        self._kinds: dict[str, str] = {}

    def add(self, key: str, document: Any, kind: str = "other") -> None:
        self.records[key] = document
        self._kinds[key] = kind

    def scrub(self, job: ErasureJob, scrubber: Scrubber, cursor: str | None, limit: int) -> Slice:
        start = int(cursor) if cursor else 0
        page = list(self.records)[start : start + limit]
        counts: dict[str, int] = {}
        for key in page:
            cleaned = scrubber.document(self.records[key])
            if cleaned != self.records[key]:
                self.records[key] = cleaned
                counts[self._kinds[key]] = counts.get(self._kinds[key], 0) + 1
        if counts:
            self._jobs.count(job.job_id, counts)
        following = start + len(page)
        return Slice(len(page), str(following) if following < len(self.records) else None)


class MemoryErasureQueue:
    """Carries what SQS carries: ``{"job_id": ...}``, nothing personal."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.refusing = False

    def put(self, job_id: str) -> None:
        if self.refusing:
            raise TransientError("the erasure queue refused the job")
        self.bodies.append(json.dumps({"job_id": job_id}))

    def take(self) -> list[str]:
        """Every job queued so far, in order; the queue is empty afterwards."""
        bodies, self.bodies = self.bodies, []
        return [str(json.loads(body)["job_id"]) for body in bodies]
