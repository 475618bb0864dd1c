"""Canary rounds on a simulated clock: a test message per channel, judged by its receipts; a
silent channel is reported once when it starts failing and once when it delivers again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.errors import TransientError
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    IncidentStatus,
    NotificationJob,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.watch.canaries import Canaries
from tests.fakes import FixedClock
from tests.watch_fakes import (
    MemoryCanaryRounds,
    MemoryDirectory,
    MemoryIncidents,
    RecordingIntake,
    RecordingOperationsTopic,
    RecordingQueue,
    StaticPlaybooks,
)

START = datetime(2026, 12, 2, 3, 0, 30, tzinfo=UTC)
CANARY_CONTACT = Contact(
    "c-canary", "Canary", ("canary",), phone="+12025550110", email="canary@example.com"
)
HOURLY = {"id": "hourly", "every": "1h", "contacts": ["c-canary"], "receipt_within": "15m"}
ALL = frozenset({Channel.SMS, Channel.EMAIL, Channel.VOICE, Channel.PUSH, Channel.BROADCAST})


class World:
    def __init__(
        self,
        canary: dict[str, Any] = HOURLY,
        contacts: tuple[Contact, ...] = (CANARY_CONTACT,),
        channels: frozenset[Channel] = ALL,
    ) -> None:
        self.clock = FixedClock(START)
        self.rounds = MemoryCanaryRounds()
        self.incidents = MemoryIncidents()
        self.queue = RecordingQueue()
        self.intake = RecordingIntake(self.clock)
        self.operations = RecordingOperationsTopic()
        self.canaries = Canaries(
            StaticPlaybooks(parse_playbook({"canaries": [canary]})),
            self.rounds,
            self.incidents,
            MemoryDirectory(*contacts),
            self.queue,
            self.intake,
            self.operations,
            channels,
            self.clock,
        )
        self.handled: set[NotificationJob] = set()

    def at(self, delta: timedelta) -> World:
        self.clock.current = START + delta
        return self

    def aws(self, silent: frozenset[Channel] = frozenset(), **outcome: str) -> None:
        """The dispatcher sends each queued job, and receipts come back a few seconds later,
        except on ``silent`` channels; ``outcome``: channel -> another ending."""
        for job in [j for j in self.queue.jobs if j not in self.handled]:
            self.handled.add(job)
            data = {"contact_id": job.contact_id, "channel": job.channel.value, "step": 0}
            now = self.clock.now()
            ending = outcome.get(job.channel.value)
            if ending == "refused":
                entry = TimelineEntry(
                    now,
                    "notification_failed",
                    "x",
                    {**data, "error": "OptedOut", "retryable": False},
                )
                self.incidents.append(job.incident_id, [entry])
                continue
            if ending == "unsent":
                continue
            self.incidents.append(
                job.incident_id, [TimelineEntry(now, "notification_sent", "x", data)]
            )
            if job.channel in silent:
                continue
            status = ending or "delivered"
            receipt = TimelineEntry(
                now + timedelta(seconds=3),
                f"delivery_{status}",
                "x",
                {**data, "status": status, "detail": "permanent bounce (General)"},
            )
            self.incidents.append(job.incident_id, [receipt])

    def round_incident(self) -> Any:
        [incident] = self.incidents.incidents.values()
        return incident

    def events(self) -> list[tuple[str, str | None]]:
        return self.intake.actions()


def test_a_round_sends_one_test_message_per_channel_once_per_slot() -> None:
    world = World()
    report = world.canaries.tick()
    [incident_id] = report.begun
    incident = world.round_incident()
    assert (incident.status, incident.event_status, incident.type, incident.severity) == (
        IncidentStatus.OPEN,
        EventStatus.TEST,
        "tocsin.canary",
        Severity.INFO,
    )
    assert incident.title == "Canary hourly: a test message on email, sms, voice"
    assert [(j.contact_id, j.channel) for j in world.queue.jobs] == [
        ("c-canary", Channel.SMS),
        ("c-canary", Channel.EMAIL),
        ("c-canary", Channel.VOICE),
    ]
    assert {j.incident_id for j in world.queue.jobs} == {incident_id}
    assert world.at(timedelta(minutes=1)).canaries.tick().begun == []
    assert world.at(timedelta(minutes=59, seconds=29)).canaries.tick().begun == []
    assert len(world.at(timedelta(minutes=59, seconds=30)).canaries.tick().begun) == 1


def test_a_round_whose_receipts_all_came_back_passes_at_once_and_tells_nobody() -> None:
    world = World()
    world.canaries.tick()
    world.at(timedelta(minutes=1)).aws()
    report = world.at(timedelta(minutes=2)).canaries.tick()
    assert [(c.channel, c.delivered) for c in report.checks] == [
        (Channel.SMS, True),
        (Channel.EMAIL, True),
        (Channel.VOICE, True),
    ]
    incident = world.round_incident()
    assert incident.status is IncidentStatus.RESOLVED
    verdict = world.incidents.timeline(incident.incident_id)[-1]
    assert verdict.kind == "canary_passed"
    assert verdict.summary.startswith("canary round passed: sms to c-canary delivered (3 s")
    assert world.events() == [] and world.operations.told == []


def test_a_silent_channel_fails_at_the_deadline_and_is_told_once_until_it_delivers() -> None:
    world = World()
    world.canaries.tick()
    world.at(timedelta(minutes=1)).aws(silent=frozenset({Channel.VOICE}))
    assert world.at(timedelta(minutes=14, seconds=59)).canaries.tick().checks == []  # waiting
    report = world.at(timedelta(minutes=15, seconds=30)).canaries.tick()
    assert {c.channel: c.delivered for c in report.checks} == {
        Channel.SMS: True,
        Channel.EMAIL: True,
        Channel.VOICE: False,
    }
    [voice] = [c for c in report.checks if not c.delivered]
    assert voice.detail == "to c-canary: no delivery receipt within 15m"
    assert report.failing == ["hourly/voice"]
    assert world.events() == [("trigger", "canary:hourly:voice")]
    event = world.intake.received[0].event
    assert (event.type, event.severity, event.status) == (
        "canary.failed",
        Severity.HIGH,
        EventStatus.ACTUAL,
    )
    assert event.labels == {"canary": "hourly", "channel": "voice"}
    [(subject, message)] = world.operations.told
    assert subject == "Tocsin canary hourly: voice FAILED"
    assert "voice to c-canary: no delivery receipt within 15m" in message
    assert "People paged by voice may not be reached" in message
    verdict = world.incidents.timeline(world.round_incident().incident_id)[-1]
    assert verdict.kind == "canary_failed"
    assert verdict.summary.startswith(
        "canary round FAILED: voice to c-canary no delivery receipt within 15m; sms"
    )

    # The next round fails again: the alarm counts it, nobody is told twice.
    world.at(timedelta(hours=1)).canaries.tick()
    world.aws(silent=frozenset({Channel.VOICE}))
    report = world.at(timedelta(hours=1, minutes=16)).canaries.tick()
    assert [c.channel for c in report.checks if not c.delivered] == [Channel.VOICE]
    assert report.failing == [] and len(world.operations.told) == 1
    assert len(world.events()) == 1

    # Then voice delivers again: resolved, and said once.
    world.at(timedelta(hours=2)).canaries.tick()
    world.aws()
    report = world.at(timedelta(hours=2, minutes=1)).canaries.tick()
    assert report.recovered == ["hourly/voice"]
    assert world.events() == [
        ("trigger", "canary:hourly:voice"),
        ("resolve", "canary:hourly:voice"),
    ]
    assert world.operations.told[-1][0] == "Tocsin canary hourly: voice delivers again"


@pytest.mark.parametrize(
    ("ending", "detail"),
    [
        ("refused", "to c-canary: AWS refused it: OptedOut"),
        ("bounced", "to c-canary: bounced: permanent bounce (General)"),
        ("unsent", "to c-canary: not handed to AWS within 15m"),
    ],
)
def test_every_way_a_message_can_fail_is_named(ending: str, detail: str) -> None:
    world = World()
    world.canaries.tick()
    world.at(timedelta(minutes=1)).aws(email=ending)
    report = world.at(timedelta(minutes=16)).canaries.tick()
    [email] = [c for c in report.checks if c.channel is Channel.EMAIL]
    assert (email.delivered, email.detail) == (False, detail)


def test_a_final_failure_is_judged_without_waiting_for_the_deadline() -> None:
    world = World()
    world.canaries.tick()
    world.at(timedelta(minutes=1)).aws(sms="refused")
    report = world.at(timedelta(minutes=2)).canaries.tick()
    assert report.failing == ["hourly/sms"]


def test_what_a_round_cannot_test_is_said_and_the_rest_is_tested() -> None:
    mailbox = Contact("c-canary", "Canary", ("canary",), email="canary@example.com")
    world = World(
        canary={**HOURLY, "channels": ["email", "voice"]},
        contacts=(mailbox,),
        channels=frozenset({Channel.SMS, Channel.EMAIL}),
    )
    report = world.canaries.tick()
    assert report.unwatched == ["hourly: voice is not configured here, so it is not tested"]
    assert [j.channel for j in world.queue.jobs] == [Channel.EMAIL]
    without_phone = World(contacts=(mailbox,))
    assert without_phone.canaries.tick().unwatched == [
        "hourly: sms to c-canary: no sms address",
        "hourly: sms is not tested: no canary contact can receive it",
        "hourly: voice to c-canary: no voice address",
        "hourly: voice is not tested: no canary contact can receive it",
    ]
    gaps = [
        e.summary
        for e in without_phone.incidents.timeline(without_phone.round_incident().incident_id)
    ]
    assert "voice is not tested: no canary contact can receive it" in gaps


def test_a_canary_whose_contact_does_not_exist_sends_nothing_and_says_so() -> None:
    world = World(contacts=())
    report = world.canaries.tick()
    assert report.begun == [] and world.queue.jobs == []
    assert "hourly: no contact c-canary (import it)" in report.unwatched
    assert world.at(timedelta(minutes=1)).canaries.tick().unwatched == []  # said once a round


def test_an_operations_topic_that_fails_is_told_again_at_the_next_judged_round() -> None:
    world = World()
    world.canaries.tick()
    world.at(timedelta(minutes=1)).aws(silent=frozenset({Channel.SMS}))
    world.operations.fail_next = 1
    with pytest.raises(TransientError):
        world.at(timedelta(minutes=16)).canaries.tick()
    world.at(timedelta(hours=1)).canaries.tick()
    world.aws(silent=frozenset({Channel.SMS}))
    report = world.at(timedelta(hours=1, minutes=16)).canaries.tick()
    assert report.failing == ["hourly/sms"]
    assert [subject for subject, _ in world.operations.told] == ["Tocsin canary hourly: sms FAILED"]
