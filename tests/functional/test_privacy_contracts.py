"""Erasure's and the access record's ports, fake and DynamoDB/SQS alike: a save lands with its
record and is refused while the person is being erased; a job begins once, only on the person as
read, moves on only from the version it read, and forgets the person when it finishes; the
records are visited slice by slice, each that named the person rewritten and counted once; the
queue carries the job's id and nothing personal."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import boto3
import pytest

from chalicelib.core.errors import Conflict
from chalicelib.core.model import Contact
from chalicelib.core.privacy.audit import AccessAction, AccessRecord
from chalicelib.core.privacy.jobs import BeginOutcome, ErasureJob, ErasureStatus
from chalicelib.core.privacy.ports import AccessLog, ErasureJobs, ErasureQueue, PersonalRecords
from chalicelib.core.privacy.scrubbing import Person, Scrubber
from chalicelib.settings import Settings
from fakes import (
    FixedClock,
    MemoryAccessLog,
    MemoryDirectory,
    MemoryErasureJobs,
    MemoryErasureQueue,
    MemoryPersonalRecords,
)
from tests.functional.conftest import BACKENDS
from tests.functional.test_directory import Directory
from tests.functional.test_queues import drain

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ADA = Contact("c-ada", "Ada", ("executive",), phone="+12025550101", email="ada@example.com")
ADAM = Contact("c-adam", "Adam", ("executive",), phone="+12025550103")
KEEP = timedelta(days=731)


class People(Directory, Protocol):
    """The directory as erasure sees it: saves that carry their record."""

    def save(self, contact: Contact, record: AccessRecord) -> None: ...


@dataclass(frozen=True)
class Privacy:
    clock: FixedClock
    people: People
    log: AccessLog
    jobs: ErasureJobs
    records: PersonalRecords
    queue: ErasureQueue
    seed: Callable[[list[str]], None]  # records whose only text is each of these
    texts: Callable[[], list[str]]  # the records' texts now, in the order seeded
    taken: Callable[[], list[str]]  # the queue's message bodies, once each


@pytest.fixture(params=BACKENDS)
def privacy(request: pytest.FixtureRequest) -> Privacy:
    clock = FixedClock(NOW)
    if request.param == "fake":
        log = MemoryAccessLog(clock.now)
        directory = MemoryDirectory(access=log)
        jobs = MemoryErasureJobs(directory, clock)
        records = MemoryPersonalRecords(jobs)
        queue = MemoryErasureQueue()

        def seed_fake(texts: list[str]) -> None:
            for index, text in enumerate(texts):
                records.add(f"r{index:03d}", {"summary": text}, "timeline")

        def texts_fake() -> list[str]:
            return [str(document["summary"]) for document in records.records.values()]

        def taken_fake() -> list[str]:
            bodies, queue.bodies = queue.bodies, []
            return bodies

        return Privacy(
            clock, directory, log, jobs, records, queue, seed_fake, texts_fake, taken_fake
        )
    from chalicelib.storage.audit import DynamoAccessLog
    from chalicelib.storage.codec import from_item, to_item
    from chalicelib.storage.contacts import DynamoContactDirectory
    from chalicelib.storage.erasure import DynamoPersonalRecords
    from chalicelib.storage.erasure_jobs import DynamoErasureJobs
    from chalicelib.storage.queues import SqsErasureQueue

    session: boto3.Session = request.getfixturevalue("resources")
    settings: Settings = request.getfixturevalue("settings")
    client = session.client("dynamodb")
    table = settings.incidents_table
    dynamo = DynamoContactDirectory(client, settings.contacts_table)

    def seed_aws(texts: list[str]) -> None:
        for index, text in enumerate(texts):
            item = {"pk": "INCIDENT#inc_1", "sk": f"TL#T#{index:03d}", "summary": text}
            client.put_item(TableName=table, Item=to_item(item))

    def texts_aws() -> list[str]:
        items = [from_item(i) for i in client.scan(TableName=table, ConsistentRead=True)["Items"]]
        return [str(item["summary"]) for item in sorted(items, key=lambda i: str(i["sk"]))]

    return Privacy(
        clock,
        dynamo,
        DynamoAccessLog(client, settings.contacts_table, clock.now),
        DynamoErasureJobs(client, settings.contacts_table, dynamo, clock.now),
        DynamoPersonalRecords(client, table, settings.contacts_table),
        SqsErasureQueue(session.client("sqs"), settings.erasure_queue),
        seed_aws,
        texts_aws,
        lambda: drain(session, settings.erasure_queue),
    )


def record(action: AccessAction, at: datetime = NOW, contact: str = "c-ada") -> AccessRecord:
    return AccessRecord(contact, action, "key dpo", "api", at, at + KEEP)


def job_for(contact: Contact, job_id: str = "era_01M8SNSZ5NGAVKPA4831Z1T0YZ") -> ErasureJob:
    return ErasureJob(
        job_id=job_id,
        status=ErasureStatus.RUNNING,
        pseudonym="erased-0a0a0a0a",
        requested_by="key dpo",
        requested_via="api",
        requested_at=NOW,
        person=Person(contact.contact_id, contact.phone, contact.email),
        updated_at=NOW,
    )


def test_records_come_back_oldest_first_only_the_persons_and_only_until_they_expire(
    privacy: Privacy,
) -> None:
    later = NOW + timedelta(minutes=5)
    privacy.log.record(record(AccessAction.UPDATED, later))
    privacy.log.record(record(AccessAction.READ, NOW))
    privacy.log.record(record(AccessAction.READ, NOW, contact="c-adam"))
    found = privacy.log.for_contact("c-ada")
    assert [(r.action, r.at, r.by, r.via) for r in found] == [
        (AccessAction.READ, NOW, "key dpo", "api"),
        (AccessAction.UPDATED, later, "key dpo", "api"),
    ]
    assert found[0].keep_until == NOW + KEEP
    privacy.clock.current = NOW + KEEP  # the first expires now, whether or not TTL ran
    assert [r.action for r in privacy.log.for_contact("c-ada")] == [AccessAction.UPDATED]


def test_a_save_lands_with_its_record_and_none_while_the_person_is_being_erased(
    privacy: Privacy,
) -> None:
    privacy.people.save(ADA, record(AccessAction.CREATED))
    assert privacy.people.get_contacts(["c-ada"]) == {"c-ada": ADA}
    assert [r.action for r in privacy.log.for_contact("c-ada")] == [AccessAction.CREATED]
    started = record(AccessAction.ERASURE_REQUESTED, NOW + timedelta(seconds=1))
    assert privacy.jobs.begin(job_for(ADA), ADA, started) is BeginOutcome.BEGUN
    with pytest.raises(Conflict, match="being erased"):
        privacy.people.save(ADA, record(AccessAction.CREATED))
    with pytest.raises(Conflict):
        privacy.people.put(ADA)
    assert privacy.people.get_contacts(["c-ada"]) == {}
    assert [r.action for r in privacy.log.for_contact("c-ada")] == [
        AccessAction.CREATED,
        AccessAction.ERASURE_REQUESTED,
    ]


def test_a_job_begins_once_and_only_on_the_person_as_read(privacy: Privacy) -> None:
    privacy.people.put(ADA)
    privacy.people.put(ADAM)
    moved = replace(ADA, phone="+12025550109")  # saved again since it was read
    requested = record(AccessAction.ERASURE_REQUESTED)
    assert privacy.jobs.begin(job_for(moved), moved, requested) is BeginOutcome.CHANGED
    assert privacy.jobs.running_for("c-ada") is None
    assert privacy.people.get_contacts(["c-ada"]) == {"c-ada": ADA}
    assert privacy.log.for_contact("c-ada") == []  # nothing was written

    job = job_for(ADA)
    assert privacy.jobs.begin(job, ADA, requested) is BeginOutcome.BEGUN
    second = job_for(ADA, "era_01M8SNSZ5NGAVKPA4831Z1T0ZZ")
    assert privacy.jobs.begin(second, ADA, requested) is BeginOutcome.RUNNING
    assert privacy.jobs.running_for("c-ada") == job.job_id
    assert privacy.jobs.get(second.job_id) is None
    assert privacy.people.get_contacts(["c-ada", "c-adam"]) == {"c-adam": ADAM}
    stored = privacy.jobs.get(job.job_id)
    assert stored is not None and stored.person == job.person and stored.version == 0


def test_a_job_moves_on_only_from_the_version_it_read_and_forgets_the_person_when_done(
    privacy: Privacy,
) -> None:
    privacy.people.put(ADA)
    job = job_for(ADA)
    privacy.jobs.begin(job, ADA, record(AccessAction.ERASURE_REQUESTED))
    privacy.clock.advance(seconds=5)
    moved = privacy.jobs.checkpoint(job, "somewhere", 7)
    assert moved is not None
    assert (moved.version, moved.cursor, moved.scanned) == (1, "somewhere", 7)
    assert moved.updated_at == NOW + timedelta(seconds=5)
    assert privacy.jobs.checkpoint(job, "elsewhere", 9) is None  # another delivery got there
    privacy.jobs.note_failure(job.job_id, "InternalServerError", privacy.clock.now())
    failed = privacy.jobs.get(job.job_id)
    assert failed is not None and (failed.failures, failed.last_error) == (
        1,
        "InternalServerError",
    )
    assert privacy.jobs.finish(job, NOW, NOW + KEEP, record(AccessAction.ERASED)) is None

    done_at = privacy.clock.advance(seconds=5)
    erased = record(AccessAction.ERASED, done_at)
    done = privacy.jobs.finish(failed, done_at, done_at + KEEP, erased)
    assert done is not None and done.is_done and done.person is None
    assert (done.finished_at, done.cursor, done.scanned) == (done_at, None, 7)
    assert privacy.jobs.running_for("c-ada") is None
    assert privacy.jobs.finish(failed, done_at, done_at + KEEP, erased) is None  # once
    assert privacy.jobs.checkpoint(done, None, 8) is None
    saved_at = privacy.clock.advance(seconds=1)
    privacy.people.save(ADA, record(AccessAction.CREATED, saved_at))  # the id is free again
    assert [r.action for r in privacy.log.for_contact("c-ada")] == [
        AccessAction.ERASURE_REQUESTED,
        AccessAction.ERASED,
        AccessAction.CREATED,
    ]
    privacy.clock.current = done_at + KEEP  # a finished job is kept for the audit period
    assert privacy.jobs.get(job.job_id) is None


def test_slices_visit_every_record_once_and_each_rewrite_is_counted_once(
    privacy: Privacy,
) -> None:
    texts = [f"paged c-ada at {n}" if n % 3 == 0 else f"paged c-adam at {n}" for n in range(10)]
    privacy.seed(texts)
    privacy.people.put(ADA)
    job = job_for(ADA)
    privacy.jobs.begin(job, ADA, record(AccessAction.ERASURE_REQUESTED))
    scrubber = Scrubber(Person("c-ada", ADA.phone, ADA.email), job.pseudonym)
    cursor, scanned, slices = None, 0, 0
    while True:
        piece = privacy.records.scrub(job, scrubber, cursor, 4)
        assert piece.scanned <= 4
        scanned, cursor, slices = scanned + piece.scanned, piece.cursor, slices + 1
        if cursor is None:
            break
    assert (scanned, slices) == (10, 3)
    assert privacy.texts() == [text.replace("c-ada ", "erased-0a0a0a0a ") for text in texts]
    counted = privacy.jobs.get(job.job_id)
    assert counted is not None and counted.records_changed == 4
    again = privacy.records.scrub(job, scrubber, None, 100)  # a retry: nothing left to do
    assert (again.scanned, again.cursor) == (10, None)
    counted = privacy.jobs.get(job.job_id)
    assert counted is not None and counted.records_changed == 4


def test_the_queue_carries_the_jobs_id_and_nothing_else(privacy: Privacy) -> None:
    privacy.queue.put("era_01M8SNSZ5NGAVKPA4831Z1T0YZ")
    assert [json.loads(body) for body in privacy.taken()] == [
        {"job_id": "era_01M8SNSZ5NGAVKPA4831Z1T0YZ"}
    ]
    assert privacy.taken() == []
