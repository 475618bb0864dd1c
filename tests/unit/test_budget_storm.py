"""A storm of a thousand events against a small budget, through the real use cases (intake,
evaluator, notifier, dispatcher with its budget gate, the hold desk, answers) on in-memory
stand-ins of their stores: exactly the budget is sent, the rest held, the release role paged
once; releasing sends the rest once; resolving cancels what is still held.

Through moto the same storm would take hours (moto copies the whole table on every
transaction); tests/e2e/test_budget.py runs a smaller one through the HTTP API, the queues and
DynamoDB.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.activation.intake import Sender
from chalicelib.core.errors import Conflict, Forbidden, NotFound
from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.model import Channel, Contact, IncidentStatus
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.spend.gate import SpendGate
from chalicelib.core.spend.ports import HoldState
from fakes import MemoryWorld, Sent
from fakes.world import CLAIM_TIMEOUT

NOW = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)
STORM = 1000
BUDGET = 20  # SMS and email messages an hour
DUTY = Contact("c-duty", "Dee Example", ("duty",), phone="+12025550110", email="dee@example.com")
RELEASERS = [
    Contact("c-eve", "Eve Example", ("executive",), phone="+12025550111", email="eve@example.com"),
    Contact(
        "c-finn", "Finn Example", ("executive",), phone="+12025550112", email="finn@example.com"
    ),
]
PLAYBOOK = parse_playbook(
    {
        "roles": [{"id": "duty"}, {"id": "executive"}],
        "plans": [
            {
                "id": "storm-page",
                "title": "Page the duty officer",
                "notify": [{"role": "duty", "channels": ["sms", "email"]}],
            }
        ],
        "rules": [
            {
                "id": "alerts",
                "match": {"types": ["it.alert"], "min_severity": "high"},
                "plan": "storm-page",
            }
        ],
        "settings": [
            {
                "id": "budget",
                "per_hour": {"sms": {"messages": BUDGET}, "email": {"messages": BUDGET}},
                "release": {"role": "executive", "channels": ["sms", "email"], "reserve": 5},
            }
        ],
    }
)


def alert(number: int, action: str = "trigger") -> dict[str, Any]:
    event: dict[str, Any] = {
        "source": "prometheus:prod",
        "type": "it.alert",
        "action": action,
        "dedup_key": f"disk-full-node-{number}",
    }
    if action == "trigger":
        event |= {"severity": "critical", "summary": f"Disk full on node-{number}"}
    return event


SENDER = Sender(namespace="prometheus-prod")


def sent(world: MemoryWorld, channel: Channel) -> list[Sent]:
    return [each for each in world.sent() if each.channel is channel]


def to(world: MemoryWorld, channel: Channel, contact: Contact) -> int:
    destination = contact.phone if channel is Channel.SMS else contact.email
    return sum(1 for each in sent(world, channel) if each.destination == destination)


def dispatch_all(world: MemoryWorld) -> int:
    """What the dispatch queue's handler does, until the queue is empty: messages sent."""
    total = 0
    while world.dispatch_queue.bodies:
        total += world.dispatch_queued().sent
    return total


def another_dispatcher(world: MemoryWorld) -> Dispatcher:
    """A dispatcher instance of its own, with its own gate, as each Lambda instance builds."""
    gate = SpendGate(
        world.playbooks,
        world.spend_counters,
        world.holds,
        world.directory,
        world.dispatch_queue,
        world.incidents,
        world.clock,
    )
    return Dispatcher(
        world.incidents,
        world.playbooks,
        world.directory,
        world.ledger,
        world.senders,
        world.clock,
        CLAIM_TIMEOUT,
        world.links,
        spending=gate,
    )


@pytest.fixture
def storm() -> MemoryWorld:
    world = MemoryWorld(NOW, PLAYBOOK, [DUTY, *RELEASERS])
    for number in range(STORM):
        world.ingest.accept(alert(number), SENDER)
    world.decide_queued()
    dispatch_all(world)
    return world


def test_a_storm_sends_exactly_the_budget_holds_the_rest_and_pages_the_release_role_once(
    storm: MemoryWorld,
) -> None:
    assert len(storm.incidents.incidents()) == STORM
    assert to(storm, Channel.SMS, DUTY) == BUDGET and to(storm, Channel.EMAIL, DUTY) == BUDGET
    held = storm.hold_desk.recent(HoldState.HELD, limit=STORM)
    assert len(held) == STORM - BUDGET
    assert sum(hold.count for hold in held) == 2 * (STORM - BUDGET)
    assert all(hold.messages == {Channel.SMS: 1, Channel.EMAIL: 1} for hold in held)
    # The release role: each person once, on each of its channels, through the reserve.
    for person in RELEASERS:
        assert to(storm, Channel.SMS, person) == 1 and to(storm, Channel.EMAIL, person) == 1
    page = next(s for s in sent(storm, Channel.SMS) if s.destination == RELEASERS[0].phone)
    assert page.message.body.startswith("TOCSIN BUDGET: messages held past the hourly budget")
    pages = [
        entry
        for incident in storm.incidents.incidents()
        for entry in storm.incidents.timeline(incident.incident_id)
        if entry.kind == "budget_page"
    ]
    assert len(pages) == 1 and "role executive paged" in pages[0].summary
    # Each held incident's timeline says how many and why.
    entries = [e for e in storm.incidents.timeline(held[0].incident_id) if e.kind == "held"]
    assert len(entries) == 1
    assert entries[0].summary.startswith(
        "2 messages (1 email, 1 sms) held past the budget (email: 20 messages an hour; sms: 20 "
        "messages and 600 parts an hour) in the hour from 03:00 UTC; hold " + held[0].hold_id
    )
    window = NOW.replace(minute=0)
    assert storm.spend_counters.used("budget#sms", window) == (BUDGET, BUDGET)
    assert storm.spend_counters.used("reserve#sms", window) == (2, 2)


def test_releasing_sends_exactly_what_was_held_once_and_resolving_cancels_the_rest(
    storm: MemoryWorld,
) -> None:
    started = time.monotonic()
    held = sorted(storm.hold_desk.recent(HoldState.HELD, limit=STORM), key=lambda h: h.hold_id)
    to_release, to_resolve = held[: len(held) // 2], held[len(held) // 2 :]
    for hold in to_release:
        released = storm.hold_desk.release(hold.hold_id, "c-eve", "test")
        assert released.state is HoldState.RELEASED and released.queued
    assert dispatch_all(storm) == 2 * len(to_release)
    assert to(storm, Channel.SMS, DUTY) == BUDGET + len(to_release)
    assert to(storm, Channel.EMAIL, DUTY) == BUDGET + len(to_release)
    # Each released incident got exactly its two messages, marked with its hold.
    per_incident = Counter(
        sent.incident_id for sent in sent(storm, Channel.SMS) if sent.destination == DUTY.phone
    )
    assert all(per_incident[hold.incident_id] == 1 for hold in to_release)
    # Releasing twice is refused and sends nothing; neither does a redelivered release.
    with pytest.raises(Conflict, match=r"already released .* nothing is sent again"):
        storm.hold_desk.release(to_release[0].hold_id, "c-finn", "test")
    storm.dispatch_queue.put_jobs(storm.holds.held_jobs(to_release[0].hold_id))  # none left
    released = [
        replace(item.job, hold=item.hold_id)
        for item in storm.ledger.items.values()
        if item.hold_id and item.status == "sent"
    ]
    assert len(released) == 2 * len(to_release)
    storm.dispatch_queue.put_jobs(released[:10])  # released jobs delivered again
    assert dispatch_all(storm) == 0
    # Resolving the other incidents cancels their holds, and their timelines say so.
    for hold in to_resolve:
        incident = storm.incidents.get(hold.incident_id)
        assert incident is not None
        storm.ingest.accept(alert(int(incident.title.rsplit("-", 1)[1]), "resolve"), SENDER)
    storm.decide_queued()
    assert storm.hold_desk.recent(HoldState.HELD, limit=STORM) == []
    for hold in to_resolve[:25]:
        incident = storm.incidents.get(hold.incident_id)
        assert incident is not None and incident.status is IncidentStatus.RESOLVED
        assert storm.holds.get(hold.hold_id).state is HoldState.CANCELLED  # type: ignore[union-attr]
        [entry] = [
            e for e in storm.incidents.timeline(hold.incident_id) if e.kind == "hold_cancelled"
        ]
        assert entry.summary == (
            f"incident resolved: hold {hold.hold_id} cancelled, 2 messages (email 1, sms 1) "
            "held past the budget will not be sent"
        )
    with pytest.raises(Conflict, match=r"was cancelled .* will not be sent"):
        storm.hold_desk.release(to_resolve[0].hold_id, "c-eve", "test")
    assert dispatch_all(storm) == 0  # nothing reached them, so no resolution notices either
    statuses = Counter(str(item.status) for item in storm.ledger.items.values())
    assert statuses == {
        "sent": 2 * (BUDGET + len(to_release)) + 4,  # and the four pages
        "cancelled": 2 * len(to_resolve),
    }
    assert time.monotonic() - started < 30


def test_several_dispatchers_at_once_never_pass_the_budget() -> None:
    world = MemoryWorld(NOW, PLAYBOOK, [DUTY, *RELEASERS])
    for number in range(200):
        world.ingest.accept(alert(number), SENDER)
    world.decide_queued()
    messages = world.dispatch_queue.take_messages()
    errors: list[BaseException] = []

    def instance(share: list[Any]) -> None:
        dispatcher = another_dispatcher(world)
        try:
            for incident_id, jobs in share:
                dispatcher.dispatch(incident_id, jobs)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=instance, args=(messages[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert to(world, Channel.SMS, DUTY) == BUDGET and to(world, Channel.EMAIL, DUTY) == BUDGET
    assert sum(hold.count for hold in world.hold_desk.recent(HoldState.HELD, 500)) == 2 * (
        200 - BUDGET
    )


def test_only_a_person_holding_the_release_role_releases_or_cancels(storm: MemoryWorld) -> None:
    hold = storm.hold_desk.recent(HoldState.HELD, limit=1)[0]
    with pytest.raises(Forbidden, match="c-duty does not hold the release role 'executive'"):
        storm.hold_desk.release(hold.hold_id, "c-duty", "test")
    with pytest.raises(Forbidden, match="not a contact"):
        storm.hold_desk.cancel(hold.hold_id, "key ci", "test")
    with pytest.raises(NotFound, match="no hold 'hld_nope'"):
        storm.hold_desk.release("hld_nope", "c-eve", "test")
    assert storm.holds.get(hold.hold_id).state is HoldState.HELD  # type: ignore[union-attr]
    cancelled = storm.hold_desk.cancel(hold.hold_id, "c-eve", "test")
    assert cancelled.state is HoldState.CANCELLED and cancelled.settled_by == "c-eve"
    with pytest.raises(Conflict, match="already cancelled"):
        storm.hold_desk.cancel(hold.hold_id, "c-eve", "test")
    with pytest.raises(Conflict, match="was cancelled"):
        storm.hold_desk.release(hold.hold_id, "c-eve", "test")
    assert storm.holds.held_jobs(hold.hold_id) == []
    assert dispatch_all(storm) == 0
