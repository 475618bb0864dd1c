"""Canary rounds on the in-memory world and a simulated clock: a test message per channel
through the dispatcher, judged by the receipts the tracker records; a silent channel is told
once when it starts failing and once when it delivers again, and opens one incident by the
rules in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.messaging.receipts import DeliveryReport, DeliveryStatus
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    IncidentStatus,
    Severity,
)
from chalicelib.core.playbook.document import parse_playbook
from fakes import MemoryWorld, RecordingChannel

START = datetime(2026, 12, 2, 3, 0, 30, tzinfo=UTC)
PHONE = "+12025550110"
CANARY = Contact("c-canary", "Canary", ("canary",), phone=PHONE, email="canary@example.com")
FAY = Contact("c-fay", "Fay Example", ("it-security",), email="fay@example.com")
HOURLY = {"id": "hourly", "every": "1h", "contacts": ["c-canary"], "receipt_within": "15m"}
PAGING = {
    "roles": [{"id": "canary"}, {"id": "it-security"}],
    "plans": [
        {"id": "p", "title": "P", "notify": [{"role": "it-security", "channels": ["email"]}]}
    ],
    "rules": [{"id": "failed", "match": {"types": ["canary.failed"]}, "plan": "p"}],
}


def a_world(
    canary: dict[str, Any] = HOURLY,
    contacts: tuple[Contact, ...] = (CANARY, FAY),
    **senders: RecordingChannel,
) -> MemoryWorld:
    playbook = parse_playbook({"canaries": [canary], **PAGING})
    chosen = {Channel(name): sender for name, sender in senders.items()} or None
    return MemoryWorld(START, playbook, contacts, senders=chosen)


@pytest.fixture
def world() -> MemoryWorld:
    return a_world()


def at(world: MemoryWorld, delta: timedelta) -> MemoryWorld:
    world.clock.current = START + delta
    return world


def carriers(
    world: MemoryWorld, silent: tuple[Channel, ...] = (), **endings: DeliveryStatus
) -> None:
    """The dispatcher sends what is queued; a few seconds later every message it handed to AWS
    comes back delivered (or as ``endings`` say), except on ``silent`` channels."""
    world.dispatch_queued()
    world.clock.advance(seconds=3)
    everything = [
        s for c in world.senders.values() if isinstance(c, RecordingChannel) for s in c.sent
    ]
    for sent in everything:
        if sent.channel in silent or sent.channel is Channel.BROADCAST:
            continue
        status = endings.get(sent.channel.value, DeliveryStatus.DELIVERED)
        detail = "permanent bounce (General)" if status is DeliveryStatus.BOUNCED else "ok"
        world.tracker.record(DeliveryReport(sent.message_id, status, detail))


def actions(world: MemoryWorld) -> list[tuple[str, str | None]]:
    ordered = sorted(world.events.received.values(), key=lambda r: r.event_id)
    return [(r.event.action.value, r.event.dedup_key) for r in ordered]


def the_round(world: MemoryWorld, incident_id: str) -> Any:
    incident = world.incidents.get(incident_id)
    assert incident is not None
    return incident


def test_a_round_sends_one_test_message_per_channel_once_per_slot(world: MemoryWorld) -> None:
    [incident_id] = world.canaries.tick().begun
    incident = the_round(world, incident_id)
    assert (incident.status, incident.event_status, incident.type, incident.severity) == (
        IncidentStatus.OPEN,
        EventStatus.TEST,
        "tocsin.canary",
        Severity.INFO,
    )
    assert incident.title == "Canary hourly: a test message on email, sms"
    world.dispatch_queued()
    assert [(s.channel, s.destination) for s in world.sent()] == [
        (Channel.SMS, PHONE),
        (Channel.EMAIL, "canary@example.com"),
    ]
    assert all(s.message.body.startswith("[EXERCISE]") for s in world.sent())
    assert at(world, timedelta(minutes=1)).canaries.tick().begun == []
    assert at(world, timedelta(minutes=59, seconds=29)).canaries.tick().begun == []
    assert len(at(world, timedelta(minutes=59, seconds=30)).canaries.tick().begun) == 1


def test_a_round_whose_receipts_all_came_back_passes_at_once_and_tells_nobody(
    world: MemoryWorld,
) -> None:
    [incident_id] = world.canaries.tick().begun
    carriers(world)
    report = at(world, timedelta(minutes=1)).canaries.tick()
    assert [(c.channel, c.delivered) for c in report.checks] == [
        (Channel.SMS, True),
        (Channel.EMAIL, True),
    ]
    assert the_round(world, incident_id).status is IncidentStatus.RESOLVED
    verdict = world.incidents.timeline(incident_id)[-1]
    assert verdict.kind == "canary_passed"
    assert verdict.summary == (
        "canary round passed: sms to c-canary delivered (3 s after AWS took it); "
        "email to c-canary delivered (3 s after AWS took it)"
    )
    assert actions(world) == [] and world.operations.told == []


def test_a_silent_channel_fails_at_the_deadline_and_is_told_once_until_it_delivers(
    world: MemoryWorld,
) -> None:
    [first] = world.canaries.tick().begun
    carriers(world, silent=(Channel.EMAIL,))
    assert at(world, timedelta(minutes=14, seconds=59)).canaries.tick().checks == []  # waiting
    report = at(world, timedelta(minutes=15)).canaries.tick()
    assert {c.channel: (c.delivered, c.detail) for c in report.checks} == {
        Channel.SMS: (True, "delivered"),
        Channel.EMAIL: (False, "to c-canary: no delivery receipt within 15m"),
    }
    assert report.failing == ["hourly/email"]
    assert actions(world) == [("trigger", "canary:hourly:email")]
    [trigger] = world.events.received.values()
    assert (trigger.event.type, trigger.event.severity, trigger.event.labels) == (
        "canary.failed",
        Severity.HIGH,
        {"canary": "hourly", "channel": "email"},
    )
    [(subject, message)] = world.operations.told
    assert subject == "Tocsin canary hourly: email FAILED"
    assert "email to c-canary: no delivery receipt within 15m" in message
    assert "People paged by email may not be reached" in message
    verdict = world.incidents.timeline(first)[-1]
    assert (verdict.kind, the_round(world, first).status) == (
        "canary_failed",
        IncidentStatus.RESOLVED,
    )
    assert verdict.summary.startswith(
        "canary round FAILED: email to c-canary no delivery receipt within 15m; sms"
    )
    world.run_queues()  # the rules open the incident for the failing channel
    [record] = [world.events.get(event_id) for event_id in world.events.received]
    assert record is not None and record.incident_id is not None
    failed_incident = record.incident_id
    assert the_round(world, failed_incident).status is IncidentStatus.OPEN

    # The next round fails again: counted for the alarm, nobody told twice.
    at(world, timedelta(hours=1)).canaries.tick()
    carriers(world, silent=(Channel.EMAIL,))
    report = at(world, timedelta(hours=1, minutes=15)).canaries.tick()
    assert [c.channel for c in report.checks if not c.delivered] == [Channel.EMAIL]
    assert report.failing == [] and len(world.operations.told) == 1
    assert len(world.events.received) == 1

    # Then email delivers again: told once, and the incident is resolved by the rules.
    at(world, timedelta(hours=2)).canaries.tick()
    carriers(world)
    report = at(world, timedelta(hours=2, minutes=1)).canaries.tick()
    assert report.recovered == ["hourly/email"]
    assert actions(world) == [
        ("trigger", "canary:hourly:email"),
        ("resolve", "canary:hourly:email"),
    ]
    assert world.operations.subjects()[-1] == "Tocsin canary hourly: email delivers again"
    world.run_queues()
    assert the_round(world, failed_incident).status is IncidentStatus.RESOLVED


@pytest.mark.parametrize(
    ("ending", "detail"),
    [
        ("bounced", "to c-canary: bounced: permanent bounce (General)"),
        ("unsent", "to c-canary: not handed to AWS within 15m"),
    ],
)
def test_a_bounce_and_a_message_never_sent_are_named(
    world: MemoryWorld, ending: str, detail: str
) -> None:
    world.canaries.tick()
    if ending == "bounced":
        carriers(world, email=DeliveryStatus.BOUNCED)
    report = at(world, timedelta(minutes=16)).canaries.tick()
    [email] = [c for c in report.checks if c.channel is Channel.EMAIL]
    assert (email.delivered, email.detail) == (False, detail)


def test_a_message_aws_refuses_fails_the_round_without_waiting_for_the_deadline() -> None:
    world = a_world(
        sms=RecordingChannel(Channel.SMS, refused=[PHONE]), email=RecordingChannel(Channel.EMAIL)
    )
    world.canaries.tick()
    carriers(world)
    report = at(world, timedelta(minutes=1)).canaries.tick()
    [sms] = [c for c in report.checks if c.channel is Channel.SMS]
    assert (sms.delivered, sms.detail) == (False, "to c-canary: AWS refused it: Refused")
    assert report.failing == ["hourly/sms"]


def test_what_a_round_cannot_test_is_said_and_the_rest_is_tested() -> None:
    mailbox = Contact("c-canary", "Canary", ("canary",), email="canary@example.com")
    only_email = a_world(
        {**HOURLY, "channels": ["email", "voice"]},
        (mailbox,),
        email=RecordingChannel(Channel.EMAIL),
    )
    assert only_email.canaries.tick().unwatched == [
        "hourly: voice is not configured here, so it is not tested"
    ]
    without_phone = a_world(contacts=(mailbox,))
    [incident_id] = (report := without_phone.canaries.tick()).begun
    assert report.unwatched == [
        "hourly: sms to c-canary: no sms address",
        "hourly: sms is not tested: no canary contact can receive it",
    ]
    gaps = [e.summary for e in without_phone.incidents.timeline(incident_id)]
    assert "sms is not tested: no canary contact can receive it" in gaps
    without_phone.dispatch_queued()
    assert [s.channel for s in without_phone.sent()] == [Channel.EMAIL]


def test_a_canary_whose_contact_does_not_exist_sends_nothing_and_says_so() -> None:
    world = a_world(contacts=())
    report = world.canaries.tick()
    assert report.begun == [] and world.dispatch_queue.bodies == []
    assert "hourly: no contact c-canary (import it)" in report.unwatched
    assert at(world, timedelta(minutes=1)).canaries.tick().unwatched == []  # once a round


def test_an_operations_topic_that_fails_is_told_again_at_the_next_judged_round(
    world: MemoryWorld,
) -> None:
    world.canaries.tick()
    carriers(world, silent=(Channel.SMS,))
    world.operations.failing_next = 1
    with pytest.raises(Exception, match="Throttling"):
        at(world, timedelta(minutes=16)).canaries.tick()
    at(world, timedelta(hours=1)).canaries.tick()
    carriers(world, silent=(Channel.SMS,))
    report = at(world, timedelta(hours=1, minutes=16)).canaries.tick()
    assert report.failing == ["hourly/sms"]
    assert world.operations.subjects() == ["Tocsin canary hourly: sms FAILED"]
