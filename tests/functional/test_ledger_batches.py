"""The send ledger's batches (``claim_all``, ``mark_all_sent``), fake and DynamoDB alike, give
exactly what one claim or one mark per job gives, in few calls: one transaction per 100 claims,
one per 33 sent jobs; a batch one job would cancel falls back to claims one by one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.dispatch import INCIDENT
from chalicelib.core.messaging.ports import BatchLedger, Claim, ClaimOutcome
from chalicelib.core.model import Channel, NotificationJob, SendReceipt, TimelineEntry
from fakes import MemoryIncidentStore, MemorySendLedger
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=2)


def jobs(count: int, incident: str = "inc_1") -> list[NotificationJob]:
    return [NotificationJob(incident, f"c-{n:03d}", Channel.SMS) for n in range(count)]


def entry(job: NotificationJob) -> TimelineEntry:
    return TimelineEntry(NOW, "notification_sent", "sent", key=f"sent-{job.contact_id}-sms-0")


class Counted:
    """Which DynamoDB APIs the adapter called, and how often."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest) -> BatchLedger:
    if request.param == "fake":
        return MemorySendLedger(MemoryIncidentStore())
    from chalicelib.storage.ledger import DynamoSendLedger

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoSendLedger(client, request.getfixturevalue("settings").incidents_table)


def test_a_batch_claims_as_one_claim_a_job_would(ledger: BatchLedger) -> None:
    batch = jobs(120)
    claims = ledger.claim_all(batch, NOW, NOW - TIMEOUT)
    assert claims == [Claim(ClaimOutcome.CLAIMED)] * 120
    assert {ledger.claim(job, NOW, NOW - TIMEOUT).outcome for job in batch} == {ClaimOutcome.BUSY}


def test_a_batch_with_done_busy_stale_and_twice_named_jobs_says_which_is_which(
    ledger: BatchLedger,
) -> None:
    done, busy, stale, *fresh = jobs(6)
    earlier = NOW - TIMEOUT - timedelta(seconds=1)
    assert ledger.claim(stale, earlier, earlier - TIMEOUT).granted  # its invocation died
    assert ledger.claim(busy, NOW, NOW - TIMEOUT).granted
    assert ledger.claim(done, NOW, NOW - TIMEOUT).granted
    ledger.mark_sent(done, SendReceipt("m-done"), NOW, entry(done))
    claims = ledger.claim_all([done, busy, stale, *fresh, fresh[0]], NOW, NOW - TIMEOUT)
    assert claims == [
        Claim(ClaimOutcome.DONE),
        Claim(ClaimOutcome.BUSY, NOW),
        Claim(ClaimOutcome.TAKEN_OVER, earlier),
        Claim(ClaimOutcome.CLAIMED),
        Claim(ClaimOutcome.CLAIMED),
        Claim(ClaimOutcome.CLAIMED),
        Claim(ClaimOutcome.BUSY, NOW),  # named twice: the second is the first's copy
    ]


def test_marking_many_sent_closes_each_claim_with_its_entry_and_message_id(
    ledger: BatchLedger,
) -> None:
    batch = jobs(70)
    assert all(claim.granted for claim in ledger.claim_all(batch, NOW, NOW - TIMEOUT))
    ledger.mark_all_sent(
        [(job, SendReceipt(f"m-{job.contact_id}"), entry(job)) for job in batch], NOW
    )
    assert {ledger.claim(job, NOW, NOW - TIMEOUT).outcome for job in batch} == {ClaimOutcome.DONE}
    assert [ledger.find_sent(f"m-{job.contact_id}") for job in batch] == batch  # type: ignore[attr-defined]


def test_on_dynamodb_a_fan_out_of_100_costs_a_claim_call_and_4_mark_calls(
    tables: Any, settings: Any
) -> None:
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.ledger import DynamoSendLedger

    client = tables.client("dynamodb")
    ledger = DynamoSendLedger(client, settings.incidents_table)
    incidents = DynamoIncidentStore(client, settings.incidents_table)
    incidents.create(INCIDENT, [])
    batch = jobs(100, INCIDENT.incident_id)
    counted = Counted(client)
    assert all(claim.granted for claim in ledger.claim_all(batch, NOW, NOW - TIMEOUT))
    assert counted.calls == {"GetItem": 1, "TransactWriteItems": 1}  # GetItem: its expiry, once
    counted.calls.clear()
    ledger.mark_all_sent(
        [(job, SendReceipt(f"m-{job.contact_id}"), entry(job)) for job in batch], NOW
    )
    assert counted.calls == {"TransactWriteItems": 4}  # 33 + 33 + 33 + 1 jobs
    assert len(incidents.timeline(INCIDENT.incident_id)) == 100
    # A second batch over the same jobs: the transaction is cancelled, each job claimed alone.
    counted.calls.clear()
    assert ledger.claim_all(batch[:10], NOW, NOW - TIMEOUT) == [Claim(ClaimOutcome.DONE)] * 10
    assert counted.calls == {"TransactWriteItems": 1, "UpdateItem": 10}


class Conflicting:
    """A DynamoDB client whose transactions another writer's conflict with."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **_: Any) -> None:
        from botocore.exceptions import ClientError

        failed = {"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}
        raise ClientError(failed, "TransactWriteItems")  # type: ignore[arg-type]


def test_on_dynamodb_50_passes_cost_two_calls_and_a_conflicting_call_still_lands(
    tables: Any, settings: Any
) -> None:
    from chalicelib.core.messaging.passes import issue_pass
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.responders import DynamoResponderRegistry

    client = tables.client("dynamodb")
    DynamoIncidentStore(client, settings.incidents_table).create(INCIDENT, [])
    registry = DynamoResponderRegistry(client, settings.incidents_table)
    crowd = [issue_pass(b"s", INCIDENT.incident_id, f"c-{n:03d}", NOW) for n in range(50)]
    counted = Counted(client)
    registry.register(crowd[:40])
    assert counted.calls == {"GetItem": 1, "TransactWriteItems": 2}  # 33 + 7 people
    counted.calls.clear()
    conflicted = DynamoResponderRegistry(Conflicting(client), settings.incidents_table)
    conflicted.register(crowd[30:])  # 20 people, 60 items: in batches of 25 instead
    assert counted.calls == {"GetItem": 1, "BatchWriteItem": 3}
    assert all(registry.find(INCIDENT.incident_id, each.contact_id) == each for each in crowd)


def ledger_and_registry(tables: Any, settings: Any) -> tuple[Any, Any, Any]:
    """The ledger and registry of the incidents table, sharing the expiries as in wiring.py, the
    incident created and its expiry read (once per incident, before the first claim)."""
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.ledger import DynamoSendLedger
    from chalicelib.storage.responders import DynamoResponderRegistry
    from chalicelib.storage.retention import IncidentExpiries

    client = tables.client("dynamodb")
    DynamoIncidentStore(client, settings.incidents_table).create(INCIDENT, [])
    expiries = IncidentExpiries(client, settings.incidents_table)
    expiries.of(INCIDENT.incident_id)
    registry = DynamoResponderRegistry(client, settings.incidents_table, expiries=expiries)
    ledger = DynamoSendLedger(
        client, settings.incidents_table, expiries=expiries, registry=registry
    )
    return ledger, registry, client


def test_on_dynamodb_passes_go_in_with_the_claims_in_one_call_when_they_fit(
    tables: Any, settings: Any
) -> None:
    """The first message waits for one write, not two (#35): the claims and the passes of the
    people they reach, in one transaction; every pass findable, every job claimed."""
    from chalicelib.core.messaging.passes import issue_pass

    ledger, registry, client = ledger_and_registry(tables, settings)
    batch = jobs(19, INCIDENT.incident_id)
    passes = [issue_pass(b"s", INCIDENT.incident_id, job.contact_id, NOW) for job in batch[:10]]
    counted = Counted(client)
    claims = ledger.claim_all_registering(batch, NOW, NOW - TIMEOUT, passes)
    assert claims == [Claim(ClaimOutcome.CLAIMED)] * 19
    assert counted.calls == {"TransactWriteItems": 1}
    assert all(registry.find(INCIDENT.incident_id, p.contact_id) == p for p in passes)
    assert {ledger.claim(job, NOW, NOW - TIMEOUT).outcome for job in batch} == {ClaimOutcome.BUSY}


def test_on_dynamodb_passes_that_do_not_fit_or_a_cancelled_claim_are_registered_alone(
    tables: Any, settings: Any
) -> None:
    from chalicelib.core.messaging.passes import issue_pass

    ledger, registry, client = ledger_and_registry(tables, settings)
    crowd = jobs(60, INCIDENT.incident_id)
    passes = [issue_pass(b"s", INCIDENT.incident_id, job.contact_id, NOW) for job in crowd]
    counted = Counted(client)
    # 60 claims and 180 pass items: the passes first (two transactions), then the claims (one).
    assert all(c.granted for c in ledger.claim_all_registering(crowd, NOW, NOW - TIMEOUT, passes))
    assert counted.calls == {"TransactWriteItems": 3}
    assert all(registry.find(INCIDENT.incident_id, p.contact_id) == p for p in passes)
    # One job sent already cancels the joint transaction: passes alone, then each job alone.
    done = crowd[0]
    ledger.mark_sent(done, SendReceipt("m-done"), NOW, entry(done))
    later = NOW + timedelta(seconds=30)  # their claims still fresh
    again = [issue_pass(b"s", INCIDENT.incident_id, done.contact_id, later)]
    claims = ledger.claim_all_registering(crowd[:3], later, later - TIMEOUT, again)
    assert [c.outcome for c in claims] == [ClaimOutcome.DONE, ClaimOutcome.BUSY, ClaimOutcome.BUSY]
    assert registry.find(INCIDENT.incident_id, done.contact_id) == again[0]  # refreshed
