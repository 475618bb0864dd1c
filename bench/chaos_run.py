"""One seeded chaos run: accept, drain under faults, race acknowledgements, then account.

The accounting (:func:`account`) reads the end state, not the handlers' reports:
- every accepted event's record: decided, ``failed`` (with its reason) or still pending;
- every job ever planned (put on the dispatch queue, or sent by the evaluator itself: its first
  batch), by its ledger item: ``sent``, not needed
  (an escalation step of an incident acknowledged before it went out), or lost;
- every message a channel accepted, per incident, channel and destination, against the jobs the
  ledger records as sent there: the surplus was sent twice, and must not exceed the recipients
  of channel calls whose outcome was unknown (lost answers; a crash after acceptance: every
  message accepted since the ledger last closed a round).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalice.test import Client

from bench.chaos_aws import VISIBILITY, ChaosSqs, FakesBackend
from bench.chaos_faults import Crashes, Faults, LambdaCrash
from bench.dispatch import with_large_budget
from chalicelib import wiring
from chalicelib.core import checkpoints
from chalicelib.core.activation.intake import Sender
from chalicelib.core.activation.ports import EventRecord
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import TransientError
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Contact,
    DecisionOutcome,
    Incident,
    NotificationJob,
    Stop,
    TimelineEntry,
)
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.queue_messages import decode_jobs
from chalicelib.observability import logger
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from fakes.channels import RecordingChannel
from fakes.clock import FixedClock
from fakes.world import PROJECT, MemoryWorld
from local.runner import scheduled_event

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
ROLES = ("executive", "communications", "it-security", "legal", "hr")
TICK = timedelta(minutes=1)
STEP = timedelta(seconds=1)  # the clock's move per invocation
MAX_INVOCATIONS = 2_000_000
ACK_TRIES = 20  # a person's tries at acknowledging, through transient errors


@dataclass(frozen=True)
class Options:
    seed: int = 1
    incidents: int = 200
    per_role: int = 6
    fault_rate: float = 0.2
    crash_rate: float = 0.02
    lost_answers: float = 0.01
    acknowledged: float = 0.5  # share of incidents two people acknowledge (the quorum)


def people(per_role: int) -> list[Contact]:
    return [
        Contact(
            contact_id=f"c-{role}-{number:03d}",
            name="Chaos Person",
            roles=(role,),
            phone=f"+1202{index:03d}{number:04d}",
            email=f"{role}.{number}@example.com",
        )
        for index, role in enumerate(ROLES)
        for number in range(per_role)
    ]


def breach(number: int) -> dict[str, Any]:
    return {
        "source": "chaos",
        "type": "cyber.data_breach",
        "severity": "high",
        "summary": f"Breach {number}",
        "dedup_key": f"breach-{number}",
        "metrics": {"affected_people": 60000},  # the crisis cell (data-breach-50000)
    }


def playbook_documents() -> dict[str, list[Any]]:
    from tocsin_cli.policies import read_policy_dir

    return with_large_budget(read_policy_dir(PROJECT / "policies").sections)


def on_fakes(
    settings: Settings, options: Options, channels: dict[Channel, RecordingChannel]
) -> Backend:
    playbook = parse_playbook(playbook_documents())
    world = MemoryWorld(START, playbook, people(options.per_role), channels)
    return FakesBackend(settings, world)


class Backend(Protocol):
    """Where the harness's state lives (the fakes, or moto: ``bench/chaos_moto.py``)."""

    clock: FixedClock

    def container(
        self, sqs: ChaosSqs, faults: Faults, channels: dict[Channel, RecordingChannel]
    ) -> Container: ...
    def incidents(self, event_ids: Iterable[str]) -> list[Incident]: ...
    def due(self, now: datetime) -> bool: ...
    def event(self, event_id: str) -> EventRecord | None: ...
    def stored_events(self) -> list[str]: ...
    def ledger_status(self, job: NotificationJob) -> str | None: ...
    def timeline(self, incident_id: str) -> list[TimelineEntry]: ...
    def close(self) -> None: ...


BackendFactory = Callable[[Settings, Options, dict[Channel, RecordingChannel]], Backend]


class Harness:
    def __init__(
        self, options: Options, settings: Settings, backend: BackendFactory = on_fakes
    ) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        channels = (Channel.SMS, Channel.EMAIL, Channel.VOICE, Channel.BROADCAST)
        self.channels = {channel: RecordingChannel(channel) for channel in channels}
        self.backend = backend(settings, options, self.channels)
        self.clock = self.backend.clock
        self.faults = Faults(self.rng, options.fault_rate, self.clock, options.lost_answers)
        self.sqs = ChaosSqs(self.faults, settings.max_receive_count)
        self.settings = settings
        self.crashes = Crashes(self.faults, options.crash_rate, race=self._race)
        self.rebuilt = 0
        self.ticks_failed = 0
        self.refused = 0  # acknowledgements refused (an error no retry cures)
        self.ack_tries: Counter[str] = Counter()
        self.ack_given_up = 0  # a person who stopped trying after ACK_TRIES transient errors
        self.paged = [  # level 1 of crisis-core: the executives and IT security
            c.contact_id
            for c in people(options.per_role)
            if c.contact_id.startswith(("c-executive", "c-it-security"))
        ]
        self.accepted: list[str] = []
        self.to_acknowledge: dict[str, list[str]] = {}  # incident -> who still acknowledges
        self.chosen: set[str] = set()  # incidents whose acknowledgers were drawn
        self.container = self._new_container()

    def _new_container(self) -> Container:
        chosen = self.backend.container(self.sqs, self.faults, self.channels)
        wiring.install(chosen)
        return chosen

    def crashed(self) -> None:
        """A Lambda instance died: the next invocation gets a new one."""
        self.rebuilt += 1
        self.container = self._new_container()

    # -- the callers --------------------------------------------------------------------
    def accept_all(self) -> None:
        sender = Sender(namespace="chaos")
        for number in range(self.options.incidents):
            while True:  # a client retries an error (503, or a dropped connection)
                try:
                    received = self.container.ingest.accept(breach(number), sender)
                except LambdaCrash:
                    self.crashed()
                    continue
                except Exception:  # noqa: S112 - the caller tries again
                    continue
                self.accepted.append(received.event_id)
                break

    def _race(self) -> None:
        """An acknowledgement arriving between a tick's jobs and its state write."""
        self.acknowledge_some(limit=1)

    def acknowledge_some(self, limit: int | None = None) -> None:
        """People paged acknowledge, by their links: again when it failed for now (a 5xx, a
        dropped connection), not when it was refused."""
        for incident_id, who in list(self.to_acknowledge.items())[:limit]:
            if not who:
                del self.to_acknowledge[incident_id]
                continue
            try:
                self.container.responses.acknowledge(incident_id, Answerer.by_link(who[0]))
            except LambdaCrash:
                self.crashed()
                continue
            except TransientError:
                self.ack_tries[incident_id] += 1
                if self.ack_tries[incident_id] < ACK_TRIES:
                    continue
                self.ack_given_up += 1
            except Exception:
                self.refused += 1
            who.pop(0)

    def choose_acknowledgers(self) -> None:
        paged = self.paged
        for incident in self.backend.incidents(self.accepted):
            if incident.incident_id in self.chosen:
                continue
            self.chosen.add(incident.incident_id)
            if self.rng.random() < self.options.acknowledged:
                self.to_acknowledge[incident.incident_id] = self.rng.sample(paged, 2)
            else:
                self.to_acknowledge[incident.incident_id] = []

    # -- Lambda ---------------------------------------------------------------------------
    def invoke(self, client: Client, function: str, queue: str) -> bool:
        batch = self.sqs.receive(queue, self.rng)
        if not batch:
            return False
        event = {"Records": [self.sqs.record(queue, message) for message in batch]}
        try:
            answer = client.lambda_.invoke(function, event).payload
            failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
        except LambdaCrash:
            self.crashed()
            return True  # the whole batch comes back after its visibility timeout
        for message in batch:
            if message.message_id in failed:
                self.sqs.retry_later(message, VISIBILITY)
            else:
                self.sqs.delete(queue, message)
        return True

    def tick(self, client: Client) -> None:
        try:
            name = "escalate_due_incidents"
            client.lambda_.invoke(name, scheduled_event(name, "us-east-1"))
        except LambdaCrash:
            self.crashed()
        except TransientError:
            self.ticks_failed += 1  # some incidents not escalated: the next tick retries them

    def unqueued_left(self) -> bool:
        """Events a crashed request stored but never queued that the tick has not yet swept
        (it sweeps them UNQUEUED_GRACE after they were stored)."""
        accepted = set(self.accepted)
        for event_id in self.backend.stored_events():
            record = self.backend.event(event_id)
            if event_id not in accepted and record and record.outcome is DecisionOutcome.PENDING:
                return True
        return False

    def drain(self) -> None:
        clock = self.clock
        queues = {
            self.settings.ingest_queue: "evaluate_events",
            self.settings.dispatch_queue: "dispatch_notifications",
        }
        next_tick = clock.now() + TICK
        with Client(wiring_app(), stage_name="local", project_dir=str(PROJECT)) as client:
            for _ in range(MAX_INVOCATIONS):
                if clock.now() >= next_tick:
                    self.choose_acknowledgers()
                    self.tick(client)
                    self.acknowledge_some()
                    next_tick = clock.now() + TICK
                ready = [queue for queue in queues if self.sqs.visible(queue)]
                if ready:
                    queue = self.rng.choice(ready)
                    self.invoke(client, queues[queue], queue)
                    clock.advance(STEP)
                    continue
                waiting = self.sqs.next_visible()
                if waiting is not None:
                    clock.current = max(clock.current, min(waiting, next_tick))
                    continue
                if self.sqs.dead.get(self.settings.dispatch_queue) or self.sqs.dead.get(
                    self.settings.ingest_queue
                ):
                    self.sqs.redrive()  # what an operator does: `tocsin dlq redrive`
                    continue
                if (
                    self.backend.due(clock.now() + timedelta(days=1))
                    or any(self.to_acknowledge.values())
                    or self.unqueued_left()
                ):
                    clock.current = next_tick
                    continue
                return
        raise RuntimeError("the run did not drain")


def wiring_app() -> Any:
    from app import app

    return app


def run(options: Options, backend: BackendFactory = on_fakes) -> dict[str, Any]:
    settings = replace(Settings.from_environment({"TOCSIN_STAGE": "local"}))
    level = logger.log_level
    logger.setLevel("CRITICAL")  # 10,000 notifications' log lines would be the run's cost
    harness = Harness(options, settings, backend)
    try:
        checkpoints.install_hook(harness.crashes)
        try:
            harness.accept_all()
            accepted_at = harness.clock.now()
            harness.drain()
        finally:
            checkpoints.install_hook(None)
            wiring.reset()
        drained_at = harness.clock.now()
        harness.faults.rate = 0.0  # the end state is read without faults
        harness.faults.lost_answers = 0.0
        figures = account(harness)
    finally:
        harness.backend.close()
        logger.setLevel(level)  # as it was: a test that runs the harness leaves no trace
    figures["drain"] = {"simulated": str(drained_at - accepted_at)}
    figures["options"] = asdict(options)
    figures["seed"] = options.seed
    return figures


def account(harness: Harness) -> dict[str, Any]:
    backend = harness.backend
    records = {event_id: backend.event(event_id) for event_id in harness.accepted}
    failed_reasons = Counter(
        record.reason or ""
        for record in records.values()
        if record is not None and record.outcome is DecisionOutcome.FAILED
    )
    pending = sum(
        1
        for record in records.values()
        if record is None or record.outcome is DecisionOutcome.PENDING
    )
    # Stored by a request that crashed before its 202 (never accepted): each must end failed,
    # never_queued (the tick's sweep), not pending; "pending at the end" counts them too.
    orphans = [
        record
        for event_id in backend.stored_events()
        if event_id not in records and (record := backend.event(event_id)) is not None
    ]
    orphans_pending = sum(1 for r in orphans if r.outcome is DecisionOutcome.PENDING)
    never_queued = sum(1 for r in orphans if r.code == "never_queued")
    contacts = {c.contact_id: c for c in people(harness.options.per_role)}
    incidents = {i.incident_id: i for i in backend.incidents(harness.accepted)}
    sent_jobs: Counter[tuple[str, str, str]] = Counter()
    sent = not_needed = lost = 0
    for (incident_id, name), job in sorted(harness.sqs.planned.items()):
        contact_id, channel, step = name.split("#")[:3]
        if backend.ledger_status(job) == "sent":
            sent += 1
            destination = _destination(contacts.get(contact_id), Channel(channel))
            sent_jobs[(incident_id, channel, destination)] += 1
            continue
        incident = incidents[incident_id]
        if int(step) > 0 and incident.response.stopped is Stop.ACKNOWLEDGED:
            not_needed += 1
        else:
            lost += 1
    accepted: Counter[tuple[str, str, str]] = Counter(
        (item.incident_id, item.channel.value, item.destination)
        for recording in harness.channels.values()
        for item in recording.sent
    )
    twice = sum(max(0, count - sent_jobs[key]) for key, count in accepted.items())
    never_accepted = sum(max(0, count - accepted[key]) for key, count in sent_jobs.items())
    entries = sum(
        1
        for incident_id in incidents
        for entry in backend.timeline(incident_id)
        if entry.kind == "outcome_unknown"
    )
    unknown = harness.faults.unknown_recipients
    return {
        "incidents": len(incidents),
        "events": {
            "accepted": len(records),
            "decided": len(records) - pending,
            "failed": sum(failed_reasons.values()),
            "failed_reasons": dict(failed_reasons),
            "pending": pending + orphans_pending,
            "accepted_pending": pending,
            "orphaned": len(orphans),
            "orphaned_never_queued": never_queued,
            "orphaned_pending": orphans_pending,
        },
        "notifications": {
            "planned": len(harness.sqs.planned),
            "sent": sent,
            "not_needed": not_needed,
            "lost": lost,
            "sent_twice": twice,
            "recorded_sent_never_accepted": never_accepted,
            "unknown": unknown,
            "outcome_unknown_entries": entries,
            "twice_within_unknown": twice <= unknown,
        },
        "faults": dict(harness.faults.counts),
        "crashes": dict(harness.crashes.counts),
        "queues": {"duplicates": harness.sqs.copies, "dead_lettered": harness.sqs.moved_to_dlq},
        "containers_rebuilt": harness.rebuilt,
        "ticks_failed": harness.ticks_failed,
        "acknowledgements_refused": harness.refused,
        "acknowledgements_given_up": harness.ack_given_up,
    }


def _destination(contact: Contact | None, channel: Channel) -> str:
    if contact is None:
        return STAKEHOLDERS
    return contact.destination(channel) or ""


__all__ = ["Options", "account", "decode_jobs", "run"]
