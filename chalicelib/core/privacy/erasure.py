"""Erasing one person: a job that outlives any one call, resumes where it stopped, and removes
exactly that person.

    start   ─▶ job recorded + person marked "being erased" + removed from the directory (one
               write) ─▶ queued ─▶ 202 with the job's id
    advance ─▶ scrub one slice of the records ─▶ checkpoint (conditional on the version read)
               ─▶ ... until the deadline ─▶ queued again            (a Lambda never runs long)
            ─▶ the last slice ─▶ done: the person forgotten by the job, the mark removed
    failure ─▶ the queue delivers the job again ─▶ it resumes at its last checkpoint; records
               already rewritten are clean, so they are neither rewritten nor counted twice

The identifiers to look for are copied into the job when it begins, so the person can leave the
directory at once (nobody pages them again) and a retry never needs them. Saving the person again
while the job runs is refused (Conflict), so the job cannot miss a newer address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.errors import NotFound, TransientError
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock
from chalicelib.core.privacy.audit import AccessAction, AccessRecord, Actor
from chalicelib.core.privacy.jobs import (
    BeginOutcome,
    ErasureJob,
    ErasureStatus,
    new_erasure_id,
)
from chalicelib.core.privacy.ports import (
    ErasureJobs,
    ErasureQueue,
    PeopleStore,
    PersonalRecords,
)
from chalicelib.core.privacy.scrubbing import Person, Scrubber, new_pseudonym

SLICE_SIZE = 1000  # records read per slice: one Scan page (at most 1 MB), about a second
STALLED_AFTER = timedelta(minutes=2)  # a running job untouched this long is queued again
_BEGIN_ATTEMPTS = 3


@dataclass(frozen=True)
class ErasureStarted:
    job: ErasureJob
    begun: bool  # False: the person's erasure was already running; this is that job


class Erasure:
    def __init__(
        self,
        people: PeopleStore,
        jobs: ErasureJobs,
        records: PersonalRecords,
        queue: ErasureQueue,
        playbooks: PlaybookSource,
        clock: Clock,
        slice_size: int = SLICE_SIZE,
    ) -> None:
        self._people = people
        self._jobs = jobs
        self._records = records
        self._queue = queue
        self._playbooks = playbooks
        self._clock = clock
        self._slice_size = slice_size

    def start(self, contact_id: str, actor: Actor) -> ErasureStarted:
        """Begin erasing the person, or return their erasure that is already running."""
        for _ in range(_BEGIN_ATTEMPTS):
            running = self._running(contact_id)
            if running is not None:
                return ErasureStarted(running, begun=False)
            contact = self._people.get_contacts([contact_id]).get(contact_id)
            if contact is None:
                raise NotFound(f"no contact {contact_id}")
            now = self._clock.now()
            job = ErasureJob(
                job_id=new_erasure_id(now),
                status=ErasureStatus.RUNNING,
                pseudonym=new_pseudonym(),
                requested_by=actor.name,
                requested_via=actor.via,
                requested_at=now,
                person=Person(contact.contact_id, contact.phone, contact.email),
                updated_at=now,
            )
            record = self._record(contact_id, AccessAction.ERASURE_REQUESTED, actor, now)
            if self._jobs.begin(job, contact, record) is BeginOutcome.BEGUN:
                self._queue.put(job.job_id)
                return ErasureStarted(job, begun=True)
        raise TransientError(f"contact {contact_id} kept changing; try the erasure again")

    def status(self, job_id: str) -> ErasureJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no erasure {job_id}")
        return job

    def advance(self, job_id: str, deadline: datetime) -> ErasureJob:
        """Work on the job slice by slice until it is done or ``deadline`` passes, then queue
        the rest. A failure is noted on the job (its kind, never the data) and raised, so the
        queue delivers the job again."""
        job = self.status(job_id)
        while not job.is_done:
            if job.person is None:  # a running job always knows whom it erases
                raise RuntimeError(f"erasure {job_id} is running but names nobody")
            scrubber = Scrubber(job.person, job.pseudonym)
            try:
                piece = self._records.scrub(job, scrubber, job.cursor, self._slice_size)
            except Exception as error:
                self._jobs.note_failure(job_id, type(error).__name__, self._clock.now())
                raise
            moved = self._jobs.checkpoint(job, piece.cursor, job.scanned + piece.scanned)
            if moved is None:  # another delivery of the same job got there first: it goes on
                return self.status(job_id)
            job = moved
            if piece.cursor is None:
                return self._finish(job)
            if self._clock.now() >= deadline:
                self._queue.put(job_id)
                return job
        return job

    def _finish(self, job: ErasureJob) -> ErasureJob:
        assert job.person is not None
        now = self._clock.now()
        keep = self._playbooks.load().retention.audit
        actor = Actor(job.requested_by, job.requested_via)
        record = self._record(job.person.contact_id, AccessAction.ERASED, actor, now)
        done = self._jobs.finish(job, now, now + keep, record)
        return done if done is not None else self.status(job.job_id)

    def _running(self, contact_id: str) -> ErasureJob | None:
        """The person's running erasure, queued again if it looks stalled (its queue message
        went to the dead-letter queue, or never got there): erasing again is the retry."""
        job_id = self._jobs.running_for(contact_id)
        job = self._jobs.get(job_id) if job_id else None
        if job is None or job.is_done:
            return None
        if job.version == 0 or self._clock.now() - job.updated_at >= STALLED_AFTER:
            self._queue.put(job.job_id)
        return job

    def _record(
        self, contact_id: str, action: AccessAction, actor: Actor, at: datetime
    ) -> AccessRecord:
        keep = self._playbooks.load().retention.audit
        return AccessRecord(contact_id, action, actor.name, actor.via, at, at + keep)
