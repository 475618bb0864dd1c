"""The erasure job under moto: bounded slices, checkpoints, and a failure halfway through a slice
followed by a retry that finishes the job with every record rewritten and counted exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.core.activation.ports import KeptAnswer
from chalicelib.core.checkins.values import (
    AnsweredBy,
    Audience,
    AudienceMember,
    Checkin,
    CheckinAnswer,
    CheckinOption,
    Reminders,
)
from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.model import Channel, Contact
from chalicelib.core.privacy.audit import AccessAction, AccessRecord, Actor
from chalicelib.core.privacy.erasure import STALLED_AFTER, Erasure
from chalicelib.core.privacy.scrubbing import Person, Scrubber
from chalicelib.settings import Settings
from chalicelib.storage.audit import DynamoAccessLog
from chalicelib.storage.checkins import DynamoCheckinStore
from chalicelib.storage.codec import from_item, to_item
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.dead_letters import DynamoFailureLog, Failure
from chalicelib.storage.erasure import DynamoPersonalRecords
from chalicelib.storage.erasure_items import scrub_item
from chalicelib.storage.erasure_jobs import DynamoErasureJobs
from chalicelib.storage.idempotency import DynamoIdempotencyStore
from fakes import FixedClock, MemoryErasureQueue, MemoryPlaybookSource

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ADA = Person("c-ada", "+12025550101", "ada@example.com")
TESTER = Actor("arn:aws:iam::123456789012:user/dpo", "cli")
INCIDENTS = 12


class FailingDynamoDB:
    """A DynamoDB client whose ``fail_on``-th transaction fails as an overloaded table's would;
    everything else goes to the real (moto) client."""

    def __init__(self, client: Any, fail_on: int) -> None:
        self._client = client
        self._fail_on = fail_on
        self.transactions = 0

    def transact_write_items(self, **arguments: Any) -> Any:
        self.transactions += 1
        if self.transactions == self._fail_on:
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "injected"}},
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def seed_incidents(client: Any, table: str) -> None:
    """Incident records as the app lays them out, each naming c-ada and c-adam (whose id
    starts with hers) in ids, keys and free text."""
    for number in range(INCIDENTS):
        incident = f"inc_{number:02d}"
        pk = f"INCIDENT#{incident}"
        records: list[dict[str, Any]] = [
            {"pk": pk, "sk": "INCIDENT", "title": f"outage {number}", "severity": "critical",
             "response_state": '{"paged": ["c-ada", "c-adam"], "acknowledged_by": ["c-adam"]}'},
            {"pk": f"EVENT#evt_{number:02d}", "sk": "EVENT", "event":
             '{"summary": "reported by ada@example.com", "details": {"by": "c-adam"}}'},
        ]  # fmt: skip
        for person in ("c-ada", "c-adam"):
            records += [
                {"pk": pk, "sk": f"SEND#{person}#sms#0", "contact_id": person, "channel": "sms"},
                {"pk": pk, "sk": f"TL#K#sent-{person}-sms-0", "kind": "notification_sent",
                 "summary": f"sms handed to AWS for {person}",
                 "data": f'{{"contact_id": "{person}", "channel": "sms"}}'},
                {"pk": pk, "sk": f"RESPONDER#{person}", "contact_id": person, "code": "1234"},
                {"pk": f"PAGED#{person}", "sk": pk, "contact_id": person, "code": "1234"},
            ]  # fmt: skip
        for record in records:
            client.put_item(TableName=table, Item=to_item(record))


def snapshot(client: Any, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for raw in page["Items"]:
            item = from_item(raw)
            found[(item["pk"], item["sk"])] = item
    return found


def mentioning(records: dict[tuple[str, str], dict[str, Any]], person: Person) -> set[Any]:
    scrubber = Scrubber(person, "erased-probe")
    return {key for key, item in records.items() if scrub_item(item, scrubber) != item}


@pytest.fixture
def setup(world: boto3.Session, settings: Settings) -> Any:
    client = world.client("dynamodb")
    seed_incidents(client, settings.incidents_table)
    directory = DynamoContactDirectory(client, settings.contacts_table)
    clock = FixedClock(NOW)
    jobs = DynamoErasureJobs(client, settings.contacts_table, directory, clock.now)
    return client, directory, clock, jobs


def erasure(
    client: Any, settings: Settings, setup: Any, queue: MemoryErasureQueue, slice_size: int = 7
) -> Erasure:
    _, directory, clock, jobs = setup
    records = DynamoPersonalRecords(client, settings.incidents_table, settings.contacts_table)
    return Erasure(
        directory,
        jobs,
        records,
        queue,
        MemoryPlaybookSource(),
        clock,
        slice_size=slice_size,
    )


def test_a_failure_halfway_through_a_slice_then_the_retry_completes_exactly(
    settings: Settings, setup: Any
) -> None:
    client = setup[0]
    before = snapshot(client, settings.incidents_table)
    expected = mentioning(before, ADA)
    assert len(expected) == INCIDENTS * 6  # incident, event, send, entry, responder, paged
    # One slice holds every record; its rewrites need more than one transaction (100 actions
    # each): the second fails, halfway through the slice, after the first was written.
    failing = FailingDynamoDB(client, fail_on=2)
    queue = MemoryErasureQueue()
    broken = erasure(failing, settings, setup, queue, slice_size=500)
    job_id = broken.start("c-ada", TESTER).job.job_id

    with pytest.raises(TransientError):
        broken.advance(job_id, NOW + timedelta(minutes=5))
    stalled = broken.status(job_id)
    assert (stalled.status.value, stalled.failures, stalled.last_error) == (
        "running",
        1,
        "TransientError",
    )
    assert stalled.cursor is None and stalled.scanned == 0  # no checkpoint: the slice failed
    halfway = snapshot(client, settings.incidents_table)
    rewritten = [key for key in expected if halfway.get(key) != before[key]]
    assert 0 < len(rewritten) < len(expected)
    assert stalled.records_changed == len(rewritten)  # counted with what it rewrote, no more

    # The queue delivers the job again: it resumes at its checkpoint and finishes.
    retry = erasure(client, settings, setup, queue, slice_size=500)
    done = retry.advance(job_id, NOW + timedelta(minutes=5))
    assert done.is_done and done.person is None and done.cursor is None
    assert done.records_changed == len(expected)  # each record counted once, none twice
    assert done.changed["sends"] == done.changed["timeline"] == INCIDENTS
    assert done.changed["passes"] == 2 * INCIDENTS
    after = snapshot(client, settings.incidents_table)
    assert mentioning(after, ADA) == set()
    # c-adam's records (and every record that never named Ada) are exactly as they were.
    untouched = {key: item for key, item in before.items() if key not in expected}
    assert {key: after.get(key) for key in untouched} == untouched
    assert len(after) == len(before)  # records moved to new keys, none lost or doubled


def test_each_run_does_a_bounded_slice_checkpoints_it_and_queues_the_rest(
    settings: Settings, setup: Any
) -> None:
    client, _, clock, _ = setup
    total = len(snapshot(client, settings.incidents_table))
    queue = MemoryErasureQueue()
    work = erasure(client, settings, setup, queue, slice_size=10)
    job_id = work.start("c-ada", TESTER).job.job_id
    assert queue.take() == [job_id]
    runs, read = 0, 0
    job = work.status(job_id)
    while not job.is_done:
        runs += 1
        job = work.advance(job_id, deadline=clock.now())  # no time to spare
        assert 0 < job.scanned - read <= 10  # one slice per run, never the whole table
        read = job.scanned
        assert queue.take() == ([] if job.is_done else [job_id])
    # Every record was read (those moved to a new key further on are read again, clean).
    assert job.scanned >= total and runs == -(-job.scanned // 10)


def test_a_second_delivery_of_a_job_that_moved_on_changes_nothing(
    settings: Settings, setup: Any
) -> None:
    client, _, _, jobs = setup
    queue = MemoryErasureQueue()
    work = erasure(client, settings, setup, queue)
    job = work.start("c-ada", TESTER).job
    moved = jobs.checkpoint(job, '{"pk": {"S": "x"}, "sk": {"S": "y"}}', 7)
    assert moved is not None and moved.version == 1
    assert jobs.checkpoint(job, None, 99) is None  # read at version 0: refused
    assert work.status(job.job_id).scanned == 7


def test_starting_again_returns_the_running_job_and_queues_it_only_when_stalled(
    settings: Settings, setup: Any
) -> None:
    client, _, clock, _ = setup
    queue = MemoryErasureQueue()
    work = erasure(client, settings, setup, queue, slice_size=5)
    first = work.start("c-ada", TESTER)
    assert first.begun
    [queued] = queue.take()
    work.advance(queued, deadline=clock.now())  # one slice: version 1, requeued
    assert queue.take() == [queued]
    again = work.start("c-ada", Actor("key someone", "api"))
    assert (again.begun, again.job.job_id, queue.take()) == (False, first.job.job_id, [])
    clock.current += STALLED_AFTER  # its message died in the dead-letter queue, say
    assert work.start("c-ada", TESTER).job.job_id == first.job.job_id
    assert queue.take() == [first.job.job_id]


def test_the_request_and_the_end_of_an_erasure_are_on_record_without_the_data(
    settings: Settings, setup: Any
) -> None:
    client, _, clock, _ = setup
    queue = MemoryErasureQueue()
    work = erasure(client, settings, setup, queue, slice_size=500)
    job_id = work.start("c-ada", TESTER).job.job_id
    clock.current += timedelta(seconds=3)
    work.advance(job_id, clock.now() + timedelta(minutes=1))
    log = DynamoAccessLog(client, settings.contacts_table, clock.now)
    assert [(r.action, r.by, r.via, r.at) for r in log.for_contact("c-ada")] == [
        (AccessAction.ERASURE_REQUESTED, TESTER.name, "cli", NOW),
        (AccessAction.ERASED, TESTER.name, "cli", NOW + timedelta(seconds=3)),
    ]
    stored = snapshot(client, settings.contacts_table)
    text = repr(stored)
    assert "+12025550101" not in text and "ada@example.com" not in text  # the job forgot her
    assert "Ada Example" not in text


def test_erasing_someone_who_does_not_exist_is_not_found_and_changes_nothing(
    settings: Settings, setup: Any
) -> None:
    client = setup[0]
    before = snapshot(client, settings.contacts_table)
    queue = MemoryErasureQueue()
    with pytest.raises(NotFound, match="no contact c-nobody"):
        erasure(client, settings, setup, queue).start("c-nobody", TESTER)
    assert queue.take() == [] and snapshot(client, settings.contacts_table) == before


def test_a_save_refused_during_an_erasure_writes_neither_the_person_nor_its_record(
    settings: Settings, setup: Any
) -> None:
    client, directory, _, _ = setup
    erasure(client, settings, setup, MemoryErasureQueue()).start("c-ada", TESTER)
    before = snapshot(client, settings.contacts_table)
    ada = Contact("c-ada", "Ada Again", ("executive",), phone="+12025550101")
    record = AccessRecord("c-ada", AccessAction.CREATED, "key x", "api", NOW, NOW)
    with pytest.raises(Conflict, match="being erased"):
        directory.save(ada, record)
    with pytest.raises(Conflict):
        directory.put(ada)
    assert snapshot(client, settings.contacts_table) == before


def test_the_job_goes_through_the_config_table_first_then_every_incident_record(
    settings: Settings, setup: Any
) -> None:
    """A person's keys and calendar links stop working in the first slices; overrides name the
    pseudonym; the playbook's documents, and everyone else's items, stay as they were."""
    client, directory, clock, jobs = setup
    config = settings.config_table
    seeded: list[dict[str, Any]] = [
        {"pk": "APIKEY#d-ada", "sk": "APIKEY", "name": "laptop", "contact_id": "c-ada"},
        {"pk": "APIKEYS", "sk": "NAME#laptop", "name": "laptop", "contact_id": "c-ada"},
        {"pk": "APIKEYS", "sk": "NAME#tablet", "name": "tablet", "contact_id": "c-adam"},
        {"pk": "CALENDAR#d-1", "sk": "CALENDAR", "contact_id": "c-ada", "expires_at": "2027"},
        {"pk": "CALENDARS#c-ada", "sk": "CURRENT", "digest": "d-1"},
        {"pk": "CALENDARS#c-adam", "sk": "CURRENT", "digest": "d-2"},
        {"pk": "OVERRIDE#it-duty", "sk": "2026-12-01#ovr_1", "contact_id": "c-ada",
         "covers": "c-adam", "created_by": "key ops"},
        {"pk": "PLAYBOOK#1#abc", "sk": "ONCALL#00000#it-duty", "document": '["c-ada"]'},
    ]  # fmt: skip
    for item in seeded:
        client.put_item(TableName=config, Item=to_item(item))
    records = DynamoPersonalRecords(
        client, settings.incidents_table, settings.contacts_table, config_table=config
    )
    queue = MemoryErasureQueue()
    work = Erasure(directory, jobs, records, queue, MemoryPlaybookSource(), clock, slice_size=3)
    job_id = work.start("c-ada", TESTER).job.job_id
    first = work.advance(job_id, deadline=clock.now())  # one slice of the config table
    assert json.loads(first.cursor or "{}")["table"] == "config"
    while not (job := work.advance(job_id, deadline=clock.now())).is_done:
        pass
    after = snapshot(client, config)
    pseudonym = job.pseudonym
    assert after[("APIKEY#d-ada", "APIKEY")]["contact_id"] == pseudonym
    assert after[("APIKEY#d-ada", "APIKEY")]["revoked_at"] == NOW.isoformat()
    assert after[("APIKEYS", "NAME#tablet")] == seeded[2]
    assert after[("CALENDAR#d-1", "CALENDAR")]["revoked_at"] == NOW.isoformat()
    assert ("CALENDARS#c-ada", "CURRENT") not in after
    assert after[("CALENDARS#c-adam", "CURRENT")] == seeded[5]
    override = after[("OVERRIDE#it-duty", "2026-12-01#ovr_1")]
    assert (override["contact_id"], override["covers"]) == (pseudonym, "c-adam")
    assert after[("PLAYBOOK#1#abc", "ONCALL#00000#it-duty")] == seeded[7]
    counts = {kind: job.changed[kind] for kind in ("credentials", "calendars", "overrides")}
    assert counts == {"credentials": 2, "calendars": 2, "overrides": 1}
    assert job.changed["sends"] == INCIDENTS  # and then every incident record, as before
    assert mentioning(snapshot(client, settings.incidents_table), ADA) == set()


def test_the_job_reaches_checkins_leads_kept_answers_and_failure_reasons(
    settings: Settings, setup: Any
) -> None:
    """Main's stores, as they write their items: Ada's answers to a check-in (the latest's key
    names her), her place in who was asked, the help incident titled with her name, number and
    address, Chen's lead, an answer kept for a retried request and why a queue message failed.
    Each becomes the pseudonym; everyone else's answers, counts and items are as they were."""
    client, directory, clock, jobs = setup
    table = settings.incidents_table
    chen = Contact("c-chen", "Chen", ("it-security",), phone="+12025550103", reports_to="c-ada")
    dina = Contact("c-dina", "Dina", ("legal",), phone="+12025550104", reports_to="c-adam")
    for person in (chen, dina):
        directory.put(person)
    directory.put(Contact("c-ada", "Ada Lovelace", ("executive",), phone=ADA.phone,
                          email=ADA.email))  # fmt: skip
    store = DynamoCheckinStore(client, table)
    checkin = Checkin(
        checkin_id="chk_1",
        question={"en": "Are you safe?"},
        options=(CheckinOption(1, {"en": "I am safe"}), CheckinOption(2, {"en": "Help"}, True)),
        audience=Audience(contacts=("c-ada", "c-adam", "c-chen")),
        channels=(Channel.SMS,),
        chain=True,
        deadline=NOW + timedelta(hours=1),
        reminders=Reminders(),
        responders="@role:facilities",
        exercise=False,
        created_at=NOW,
        created_by="c-ada",
        asked=3,
        expires_at=NOW + timedelta(days=400),
    )
    members = [AudienceMember(c, ("site-oslo",), ("executive",)) for c in ("c-ada", "c-adam")]
    store.create(checkin, [*members, AudienceMember("c-chen")])
    for number, (person, option) in enumerate((("c-ada", 2), ("c-adam", 1), ("c-chen", 1))):
        at = NOW + timedelta(minutes=number)
        store.record("chk_1", CheckinAnswer(f"ans_{number}", person, option, at, AnsweredBy.SMS))
    help_incident = {
        "pk": "INCIDENT#inc_help", "sk": "INCIDENT", "type": "checkin.help",
        "requested_by": "c-ada", "status": "open",
        "title": "Ada Lovelace answered 'Help' at 03:00 UTC by sms: +12025550101 ada@example.com",
    }  # fmt: skip
    client.put_item(TableName=table, Item=to_item(help_incident))
    kept = DynamoIdempotencyStore(client, table)
    for scope, dedup in (("ops", "laptop of ada@example.com"), ("ops2", "laptop of c-adam")):
        later = NOW + timedelta(hours=24)
        assert kept.begin(scope, "k-1", "claim-1", "f" * 64, NOW, NOW, later) is None
        body = json.dumps({"status": "success", "dedup_key": dedup})
        kept.complete(scope, "k-1", "claim-1", KeptAnswer(202, body, {}))
    failures = DynamoFailureLog(client, table)
    failures.record(Failure("tocsin-dispatch", "m-1", "NotFound: no contact 'c-ada'", 5, NOW))
    failures.record(Failure("tocsin-dispatch", "m-2", "NotFound: no contact 'c-adam'", 5, NOW))
    answers_before = {a.contact_id: a for a in store.latest("chk_1").values()}
    before = snapshot(client, table)
    records = DynamoPersonalRecords(
        client, table, settings.contacts_table, contacts_table=settings.contacts_table
    )
    work = Erasure(directory, jobs, records, MemoryErasureQueue(), MemoryPlaybookSource(), clock)
    job_id = work.start("c-ada", TESTER).job.job_id
    while not (job := work.advance(job_id, deadline=clock.now())).is_done:
        pass

    pseudonym = job.pseudonym
    after = snapshot(client, table)
    assert mentioning(after, ADA) == set()
    assert "Lovelace" not in json.dumps(list(after.values()), default=str)
    assert after[("INCIDENT#inc_help", "INCIDENT")]["title"] == (
        f"{pseudonym} answered 'Help' at 03:00 UTC by sms: <{pseudonym}> <{pseudonym}>"
    )
    latest = store.latest("chk_1")
    assert latest[pseudonym].option == 2 and "c-ada" not in latest
    assert {c: latest[c] for c in ("c-adam", "c-chen")} == {
        c: answers_before[c] for c in ("c-adam", "c-chen")
    }
    assert sorted(m.contact_id for m in store.audience("chk_1")) == sorted(
        [pseudonym, "c-adam", "c-chen"]
    )
    assert [m.teams for m in store.audience("chk_1")][:2] == [("site-oslo",), ("site-oslo",)]
    document = store.get("chk_1")
    assert document is not None and document.audience.contacts == (pseudonym, "c-adam", "c-chen")
    assert document.created_by == pseudonym and document.question == {"en": "Are you safe?"}
    assert {a.contact_id for a in store.answers("chk_1")} == {pseudonym, "c-adam", "c-chen"}
    assert failures.find(["m-1"])["m-1"].reason == f"NotFound: no contact '{pseudonym}'"
    untouched = {k: v for k, v in before.items() if k not in mentioning(before, ADA)}
    assert {k: after.get(k) for k in untouched} == untouched  # c-adam's answer, failure, ...
    people = directory.get_contacts(["c-chen", "c-dina"])
    assert (people["c-chen"].reports_to, people["c-dina"].reports_to) == (pseudonym, "c-adam")
    counts = {kind: job.changed[kind] for kind in ("checkins", "leads", "idempotency")}
    assert counts == {"checkins": 4, "leads": 1, "idempotency": 1}  # it, audience, her 2 answers
    assert job.changed["queue_failures"] == 1
    assert job.changed["incidents"] == INCIDENTS + 1  # the seeded ones, and the help incident
