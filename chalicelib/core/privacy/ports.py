"""What erasure and the access record need: the people, the jobs, the records to scrub, the queue
that carries a job from one slice to the next, and the access log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.core.model import Contact
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.core.privacy.jobs import BeginOutcome, ErasureJob, Slice
from chalicelib.core.privacy.scrubbing import Scrubber


class PeopleStore(Protocol):
    outdated: set[str]  # contacts read whose stored form predates the current one: save again

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...

    def everyone(self) -> list[Contact]: ...

    def save(self, contact: Contact, record: AccessRecord) -> None:
        """Create or replace the person with the record of it, in one write; Conflict while
        their erasure runs."""
        ...


class AccessLog(Protocol):
    def record(self, entry: AccessRecord) -> None: ...

    def for_contact(self, contact_id: str) -> list[AccessRecord]:
        """Every record still kept, oldest first."""
        ...


class ErasureJobs(Protocol):
    def running_for(self, contact_id: str) -> str | None:
        """The erasure of this person that is running, if any."""
        ...

    def get(self, job_id: str) -> ErasureJob | None: ...

    def begin(self, job: ErasureJob, contact: Contact, record: AccessRecord) -> BeginOutcome:
        """In one write: record the job, mark the person as being erased (saving them is then
        refused) and remove them from the directory, provided they are still as read."""
        ...

    def checkpoint(self, job: ErasureJob, cursor: str | None, scanned: int) -> ErasureJob | None:
        """Move the job on, if it is still at ``job.version`` (None: another worker did)."""
        ...

    def note_failure(self, job_id: str, error: str, at: datetime) -> None: ...

    def finish(
        self, job: ErasureJob, at: datetime, keep_until: datetime, record: AccessRecord
    ) -> ErasureJob | None:
        """Done: forget the person, free their id, keep the counts until ``keep_until``."""
        ...


class PersonalRecords(Protocol):
    def scrub(self, job: ErasureJob, scrubber: Scrubber, cursor: str | None, limit: int) -> Slice:
        """Read up to ``limit`` records from ``cursor`` and rewrite those that mention the
        person; each rewrite is counted on the job in the same write, so a slice that fails
        halfway and runs again counts every record once."""
        ...


class ErasureQueue(Protocol):
    def put(self, job_id: str) -> None:
        """Run (more of) the job soon, in a worker."""
        ...
