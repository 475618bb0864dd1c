"""One contract for the budget's stores, run against the DynamoDB adapters (under moto) and the
in-memory fakes the use-case tests use: counters that never pass a limit, even with many
dispatchers at once; holds that settle once; a held message claimed only when released."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.ports import Claim, ClaimOutcome
from chalicelib.core.model import (
    Channel,
    EventStatus,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    SendReceipt,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.spend.meter import Charge
from chalicelib.core.spend.ports import (
    MAX_HELD_PER_ADD,
    AddOutcome,
    HeldMessage,
    HoldState,
    Take,
)
from chalicelib.storage.holds import DynamoHoldStore
from chalicelib.storage.incidents import DynamoIncidentStore
from chalicelib.storage.ledger import DynamoSendLedger
from chalicelib.storage.spending import DynamoSpendCounters
from chalicelib.storage.tables import INCIDENTS
from fakes import MemoryHoldStore, MemoryIncidentStore, MemorySendLedger, MemorySpendCounters

NOW = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)
WINDOW = NOW.replace(minute=0)
TIMEOUT = timedelta(minutes=2)
DONE = Claim(ClaimOutcome.DONE)  # held past the budget, cancelled or sent: nothing to do
INCIDENT = Incident(
    incident_id="inc_01M8TBCTV0FSB6B6FSVJPGZ06W",
    status=IncidentStatus.OPEN,
    title="Disk full on node-7",
    type="it.alert",
    severity=Severity.CRITICAL,
    event_status=EventStatus.ACTUAL,
    dedup_key="disk-full-node-7",
    rule_id="alerts",
    plan_id="storm-page",
    opened_at=NOW,
    updated_at=NOW,
)
SMS = ChannelBudget(messages=10, units=4)


@dataclass
class Stores:
    counters: Any
    holds: Any
    ledger: Any
    incidents: Any


class AtomicRequests:
    """DynamoDB applies each request to an item atomically; moto does not (two threads can both
    pass a condition before either writes). This client makes each request atomic, as DynamoDB
    does, and nothing more: a read and a later write are still two requests that other threads'
    requests can come between, so a read-then-write counter still counts past its limit."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        request = getattr(self._client, name)

        def atomic(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return request(*args, **kwargs)

        return atomic


@pytest.fixture(params=["dynamodb", "memory"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        incidents = MemoryIncidentStore()
        ledger = MemorySendLedger(incidents)
        yield Stores(MemorySpendCounters(), MemoryHoldStore(incidents, ledger), ledger, incidents)
        return
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        yield Stores(
            DynamoSpendCounters(AtomicRequests(client), "incidents"),
            DynamoHoldStore(client, "incidents"),
            DynamoSendLedger(client, "incidents"),
            DynamoIncidentStore(client, "incidents"),
        )


def job(contact: str, channel: Channel = Channel.SMS, **more: Any) -> NotificationJob:
    return NotificationJob(INCIDENT.incident_id, contact, channel, **more)


def held(*jobs: NotificationJob) -> list[HeldMessage]:
    return [HeldMessage(each, Charge(each.channel, 1, 0.0088, "+1")) for each in jobs]


def entry(name: str) -> TimelineEntry:
    return TimelineEntry(NOW, "held", f"held {name}", {}, key=f"held-{name}")


def claimed(stores: Stores, *jobs: NotificationJob) -> list[NotificationJob]:
    for each in jobs:
        assert stores.ledger.claim(each, NOW, NOW - TIMEOUT).granted
    return list(jobs)


# --- counters -------------------------------------------------------------------------------


def test_take_counts_the_prefix_that_fits_messages_and_units(stores: Stores) -> None:
    take = stores.counters.take
    assert take("budget#sms", WINDOW, [1, 2, 3, 1], SMS) == 2  # 1 + 2 parts; 3 more would pass 4
    assert take("budget#sms", WINDOW, [1], SMS) == 1
    assert take("budget#sms", WINDOW, [1], SMS) == 0
    assert stores.counters.used("budget#sms", WINDOW) == (3, 4)
    assert take("budget#email", WINDOW, [1] * 30, ChannelBudget(20)) == 20  # an empty hour too
    assert take("budget#sms", WINDOW + timedelta(hours=1), [1, 1], SMS) == 2  # a new hour


def test_a_message_larger_than_the_whole_budget_is_never_counted(stores: Stores) -> None:
    assert stores.counters.take("budget#voice", WINDOW, [5, 1], ChannelBudget(3, 4)) == 0
    assert stores.counters.used("budget#voice", WINDOW) == (0, 0)


def test_many_dispatchers_at_once_count_exactly_the_budget(stores: Stores) -> None:
    granted: list[int] = []
    lock = threading.Lock()

    def dispatcher() -> None:
        for _ in range(40):
            got = stores.counters.take("budget#email", WINDOW, [1, 1], ChannelBudget(101))
            with lock:
                granted.append(got)

    threads = [threading.Thread(target=dispatcher) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 101  # 640 messages asked for, in pairs; one pair got one
    assert stores.counters.used("budget#email", WINDOW) == (101, 101)


def test_take_all_counts_every_meter_at_once_and_each_alone_when_one_does_not_fit(
    stores: Stores,
) -> None:
    take_all = stores.counters.take_all
    both = [Take("budget#sms", [1, 2], SMS), Take("budget#email", [1, 1, 1], ChannelBudget(4))]
    assert take_all(WINDOW, both) == [2, 3]
    assert stores.counters.used("budget#sms", WINDOW) == (2, 3)
    assert stores.counters.used("budget#email", WINDOW) == (3, 3)
    # SMS has 1 part left, email 1 message: each meter counts its own prefix, as take does.
    assert take_all(WINDOW, [Take("budget#sms", [2], SMS), *both[1:]]) == [0, 1]
    assert stores.counters.used("budget#sms", WINDOW) == (2, 3)
    assert stores.counters.used("budget#email", WINDOW) == (4, 4)
    too_big = Take("budget#voice", [5], ChannelBudget(3, 4))  # never fits: the others still do
    assert take_all(WINDOW + timedelta(hours=1), [too_big, *both]) == [0, 2, 3]
    assert take_all(WINDOW, []) == []


def test_many_dispatchers_taking_all_at_once_count_exactly_the_budget(stores: Stores) -> None:
    granted: list[list[int]] = []
    lock = threading.Lock()
    limits = [ChannelBudget(61), ChannelBudget(40)]

    def dispatcher() -> None:
        for _ in range(20):
            takes = [Take(f"budget#{n}", [1, 1], limit) for n, limit in enumerate(limits)]
            got = stores.counters.take_all(WINDOW, takes)
            with lock:
                granted.append(got)

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [sum(got[n] for got in granted) for n in (0, 1)] == [61, 40]
    assert stores.counters.used("budget#0", WINDOW) == (61, 61)


def test_the_first_incident_to_hold_pages_and_later_ones_learn_who(stores: Stores) -> None:
    assert stores.counters.claim_page(WINDOW, "inc_a") == "inc_a"
    assert stores.counters.claim_page(WINDOW, "inc_b") == "inc_a"
    assert stores.counters.claim_page(WINDOW + timedelta(hours=1), "inc_b") == "inc_b"


# --- holds and the ledger -------------------------------------------------------------------


def test_a_hold_collects_messages_until_it_is_settled_once(stores: Stores) -> None:
    stores.incidents.create(INCIDENT, [])
    first, second = claimed(stores, job("c-dee"), job("c-dee", Channel.EMAIL))
    hold_id = stores.holds.open_hold(INCIDENT.incident_id, NOW)
    assert stores.holds.open_hold(INCIDENT.incident_id, NOW) == hold_id
    assert stores.holds.open_for(INCIDENT.incident_id) == hold_id
    outcome = stores.holds.add(hold_id, INCIDENT.incident_id, held(first, second), entry("a"), True)
    assert outcome is AddOutcome.ADDED
    hold = stores.holds.get(hold_id)
    assert hold.state is HoldState.HELD and hold.count == 2 and hold.units[Channel.SMS] == 1
    assert hold.estimated_usd == pytest.approx(0.0176)
    assert stores.ledger.status(first) == "held"
    assert [e.summary for e in stores.incidents.timeline(INCIDENT.incident_id)] == ["held a"]
    # Held: redelivered, it is not sent; released from another hold, neither.
    assert stores.ledger.claim(first, NOW + TIMEOUT * 10, NOW + TIMEOUT * 9) == DONE
    assert stores.ledger.claim(replace(first, hold="hld_other"), NOW, NOW - TIMEOUT) == DONE
    settled = stores.holds.settle(hold_id, HoldState.RELEASED, "c-eve", NOW)
    assert settled.state is HoldState.RELEASED and settled.settled_by == "c-eve"
    assert stores.holds.settle(hold_id, HoldState.CANCELLED, "c-finn", NOW) is None
    assert stores.holds.open_for(INCIDENT.incident_id) is None
    assert stores.holds.open_hold(INCIDENT.incident_id, NOW) != hold_id  # a new one collects
    jobs = stores.holds.held_jobs(hold_id)
    assert sorted(jobs, key=lambda j: j.channel) == [
        replace(second, hold=hold_id),
        replace(first, hold=hold_id),
    ]
    released = jobs[0]
    # Released: claimed once (a claim from the hold, not a take-over: nothing was sent).
    assert stores.ledger.claim(released, NOW, NOW - TIMEOUT) == Claim(ClaimOutcome.CLAIMED)
    assert stores.ledger.claim(released, NOW, NOW - TIMEOUT).outcome is ClaimOutcome.BUSY
    stores.ledger.mark_sent(released, SendReceipt("m-1"), NOW, entry("sent"))
    assert stores.ledger.claim(released, NOW + TIMEOUT * 10, NOW + TIMEOUT * 9) == DONE
    assert stores.holds.held_jobs(hold_id) == [jobs[1]]
    assert not stores.holds.get(hold_id).queued
    stores.holds.mark_queued(hold_id, NOW)
    assert stores.holds.get(hold_id).queued


def test_nothing_is_added_to_a_settled_hold(stores: Stores) -> None:
    stores.incidents.create(INCIDENT, [])
    [message] = claimed(stores, job("c-dee"))
    hold_id = stores.holds.open_hold(INCIDENT.incident_id, NOW)
    assert stores.holds.settle(hold_id, HoldState.CANCELLED, "c-eve", NOW) is not None
    outcome = stores.holds.add(hold_id, INCIDENT.incident_id, held(message), entry("b"), True)
    assert outcome is AddOutcome.SETTLED
    assert stores.ledger.status(message) == "sending"  # nothing changed: all or nothing
    assert stores.holds.get(hold_id).count == 0


def test_alerts_of_a_resolved_incident_are_not_held(stores: Stores) -> None:
    stores.incidents.create(INCIDENT, [])
    resolved = entry("resolved")
    assert stores.incidents.transition(
        INCIDENT.incident_id, IncidentStatus.OPEN, IncidentStatus.RESOLVED, resolved
    )
    alert, notice = claimed(stores, job("c-dee"), job("c-dee", notice=Notice.RESOLVED))
    hold_id = stores.holds.open_hold(INCIDENT.incident_id, NOW)
    outcome = stores.holds.add(hold_id, INCIDENT.incident_id, held(alert), entry("c"), True)
    assert outcome is AddOutcome.INCIDENT_CLOSED
    assert stores.ledger.status(alert) == "sending"
    # A resolution notice is still wanted, so it is held.
    outcome = stores.holds.add(hold_id, INCIDENT.incident_id, held(notice), entry("d"), False)
    assert outcome is AddOutcome.ADDED


def test_cancelling_a_hold_cancels_its_messages_for_good(stores: Stores) -> None:
    stores.incidents.create(INCIDENT, [])
    messages = claimed(stores, job("c-dee"), job("c-eve"))
    hold_id = stores.holds.open_hold(INCIDENT.incident_id, NOW)
    stores.holds.add(hold_id, INCIDENT.incident_id, held(*messages), entry("e"), True)
    assert stores.holds.settle(hold_id, HoldState.CANCELLED, "resolution", NOW) is not None
    assert stores.holds.cancel_messages(hold_id, NOW) == 2
    assert stores.holds.cancel_messages(hold_id, NOW) == 0
    assert stores.holds.held_jobs(hold_id) == []
    for message in messages:
        assert stores.ledger.status(message) == "cancelled"
        assert stores.ledger.claim(replace(message, hold=hold_id), NOW, NOW - TIMEOUT) == DONE


def test_holds_are_listed_newest_first_by_state(stores: Stores) -> None:
    ids = []
    for number in range(3):
        incident = replace(INCIDENT, incident_id=f"inc_{number}", dedup_key=f"k{number}")
        stores.incidents.create(incident, [])
        ids.append(stores.holds.open_hold(incident.incident_id, NOW + timedelta(seconds=number)))
    stores.holds.settle(ids[1], HoldState.RELEASED, "c-eve", NOW)
    assert [h.hold_id for h in stores.holds.recent()] == ids[::-1]
    assert [h.hold_id for h in stores.holds.recent(HoldState.HELD)] == [ids[2], ids[0]]
    assert [h.hold_id for h in stores.holds.recent(HoldState.HELD, limit=1)] == [ids[2]]
    assert stores.holds.get("hld_unknown") is None


def test_at_most_one_transaction_of_messages_is_held_at_once(stores: Stores) -> None:
    messages = [job(f"c-{n}") for n in range(MAX_HELD_PER_ADD + 1)]
    with pytest.raises(ValueError, match="at most 90"):
        stores.holds.add("hld_x", INCIDENT.incident_id, held(*messages), entry("f"), False)


class ConflictingClient:
    """A DynamoDB client whose first transactions collide with another writer's (DynamoDB
    cancels them with TransactionConflict); everything else goes to the real (moto) client."""

    def __init__(self, client: Any, conflicts: int) -> None:
        self._client = client
        self.conflicts = conflicts

    def transact_write_items(self, **arguments: Any) -> Any:
        if self.conflicts:
            self.conflicts -= 1
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                len(arguments["TransactItems"]) - 1
            )
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.parametrize(("conflicts", "outcome"), [(2, "added"), (5, "busy")])
def test_two_dispatchers_holding_for_one_incident_at_once_are_retried(
    conflicts: int, outcome: str
) -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        DynamoIncidentStore(client, "incidents").create(INCIDENT, [])
        ledger = DynamoSendLedger(client, "incidents")
        [message] = [job("c-dee")]
        assert ledger.claim(message, NOW, NOW - TIMEOUT).granted
        holds = DynamoHoldStore(client, "incidents")
        hold_id = holds.open_hold(INCIDENT.incident_id, NOW)
        colliding = DynamoHoldStore(ConflictingClient(client, conflicts), "incidents")
        if outcome == "busy":
            with pytest.raises(TransientError, match="busy; will retry"):
                colliding.add(hold_id, INCIDENT.incident_id, held(message), entry("g"), True)
            assert ledger.status(message) == "sending"  # claimed still: the batch is retried
            return
        added = colliding.add(hold_id, INCIDENT.incident_id, held(message), entry("g"), True)
        assert added is AddOutcome.ADDED and ledger.status(message) == "held"
