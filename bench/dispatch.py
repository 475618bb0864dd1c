"""The dispatcher's own cost: CPU per notification, and AWS calls per notification.

    python -m bench.dispatch [--people 2000] [--calls-people 50]

Overhead: the real Dispatcher (templates, ledger protocol, acknowledgement passes, pacing, the
budget gate) with instant, unlimited in-memory stand-ins for every port, so what is measured is
Tocsin's CPU, not AWS's latency. Calls: the same dispatch against moto, counting every AWS API
call botocore makes, per channel, beside the least the APIs allow. Both fan out on purpose, so
both set a message budget large enough that nothing is held (LARGE_BUDGET).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.messaging.pacing import PacedSender, TokenBucket
from chalicelib.core.messaging.passes import AckLinks, ResponderPass
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    Message,
    NotificationJob,
    SendReceipt,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.budget import Budget, ChannelBudget
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.spending import Spending
from chalicelib.core.spend.gate import SpendGate
from chalicelib.core.spend.ports import AddOutcome
from chalicelib.storage.spending import fit

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
INCIDENT = Incident(
    incident_id="inc_01M84STVCFS7F5J06PS8A3D6CA",
    status=IncidentStatus.OPEN,
    title="Payments API down in every region",
    type="it.outage",
    severity=Severity.CRITICAL,
    event_status=EventStatus.EXERCISE,
    dedup_key="bench",
    rule_id="r",
    plan_id="it-major-incident",
    opened_at=NOW,
    updated_at=NOW,
)
LANGUAGES = ("en", "da", "nb", "zh-Hant")
# The least the APIs allow per message: one SendTextMessage / SendEmail / SendVoiceMessage a
# message (each is personal: its own link and code); push: 100 addresses a SendMessages call.
MINIMUM_CALLS = {"sms": 1.0, "email": 1.0, "voice": 1.0, "push": 0.01}
# A fan-out on purpose: the budget is set so that nothing of it is held.
LARGE = 10**9
LARGE_BUDGET = {
    "id": "budget",
    "per_hour": {
        "sms": {"messages": LARGE, "parts": LARGE},
        "voice": {"messages": LARGE, "minutes": LARGE},
        "email": {"messages": LARGE},
        "push": {"messages": LARGE},
        "broadcast": {"messages": LARGE},
    },
}


def people(count: int) -> list[Contact]:
    return [
        Contact(
            contact_id=f"c-{number:06d}",
            name="Bench Person",
            roles=("it-security",),
            language=LANGUAGES[number % len(LANGUAGES)],
            phone=f"+1202555{number % 10000:04d}",
            email=f"person{number}@example.com",
        )
        for number in range(count)
    ]


class StillClock:
    def now(self) -> datetime:
        return NOW


class OneIncident:
    def get(self, incident_id: str) -> Incident:
        return INCIDENT

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        return None


class OnePlaybook:
    def __init__(self, playbook: Playbook) -> None:
        self._playbook = playbook

    def load(self) -> Playbook:
        return self._playbook

    def load_version(self, version: int) -> Playbook:
        return self._playbook


class MemoryDirectory:
    def __init__(self, contacts: list[Contact]) -> None:
        self._contacts = {contact.contact_id: contact for contact in contacts}

    def members(self, roles: Sequence[str], teams: Sequence[str] = ()) -> list[Contact]:
        return list(self._contacts.values())

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        return {c: self._contacts[c] for c in contact_ids if c in self._contacts}


class OpenLedger:
    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> bool:
        return True

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None:
        return None

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None:
        return None


class MemoryCounters:
    """The budget's counters in memory: what the conditional update counts, in one step."""

    def __init__(self) -> None:
        self.counted: dict[tuple[str, datetime], tuple[int, int]] = {}

    def take(self, meter: str, window: datetime, asks: Sequence[int], limit: ChannelBudget) -> int:
        messages, units = self.counted.get((meter, window), (0, 0))
        granted = fit(asks, messages, units, limit)
        self.counted[(meter, window)] = (messages + granted, units + sum(asks[:granted]))
        return granted

    def claim_page(self, window: datetime, incident_id: str) -> str:
        return incident_id


class NothingHeld:
    """Holds, for a bench whose budget is large enough: holding anything is a broken bench."""

    def open_hold(self, incident_id: str, now: datetime) -> str:
        raise AssertionError("the bench's budget must be large enough to hold nothing")

    def add(self, *args: Any) -> AddOutcome:
        raise AssertionError("the bench's budget must be large enough to hold nothing")


class NoRegistry:
    def register(self, passes: Sequence[ResponderPass]) -> None:
        return None


class NoQueue:
    """Where the release page would go: the bench's budget pages nobody."""

    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None:
        assert not jobs


class InstantChannel:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.sent = 0

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        self.sent += 1
        return SendReceipt(f"m-{self.sent}")


def overhead(count: int, runs: int = 5) -> dict[str, Any]:
    """CPU microseconds per notification (SMS and email, four languages)."""
    from tocsin_cli.policies import read_policy_dir

    playbook = replace(
        read_policy_dir(PROJECT / "policies").validate(),
        spending=Spending(
            budget=Budget(per_hour={c: ChannelBudget(LARGE, LARGE) for c in Channel})
        ),
    )
    contacts = people(count)
    senders = {
        channel: PacedSender(InstantChannel(channel), TokenBucket(1e9, burst=1e9))
        for channel in (Channel.SMS, Channel.EMAIL)
    }
    dispatcher = Dispatcher(
        OneIncident(),  # type: ignore[arg-type]
        OnePlaybook(playbook),
        MemoryDirectory(contacts),
        OpenLedger(),
        senders,
        StillClock(),
        timedelta(minutes=2),
        AckLinks(b"bench-secret", "https://alerts.example.com", NoRegistry()),  # type: ignore[arg-type]
        spending=SpendGate(
            OnePlaybook(playbook),
            MemoryCounters(),
            NothingHeld(),  # type: ignore[arg-type]
            MemoryDirectory(contacts),
            NoQueue(),
            OneIncident(),  # type: ignore[arg-type]
            StillClock(),
        ),
    )
    jobs = [
        NotificationJob(INCIDENT.incident_id, contact.contact_id, channel)
        for contact in contacts
        for channel in (Channel.SMS, Channel.EMAIL)
    ]
    samples = []
    for _ in range(runs):
        started = time.process_time()
        for start in range(0, len(jobs), 50):  # as the queue delivers them: 50 jobs a message
            report = dispatcher.dispatch(INCIDENT.incident_id, jobs[start : start + 50])
            assert report.sent == len(jobs[start : start + 50])
        samples.append((time.process_time() - started) / len(jobs) * 1e6)
    return {
        "notifications": len(jobs),
        "runs": runs,
        "median_us": round(statistics.median(samples), 1),
        "best_us": round(min(samples), 1),
    }


def calls(count: int) -> dict[str, Any]:
    """AWS calls per notification, per channel, dispatching against moto."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "TOCSIN_SMS_PARTS_PER_SECOND": "100000",
            "TOCSIN_EMAILS_PER_SECOND": "100000",
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    import boto3
    from moto import mock_aws

    from chalicelib import wiring
    from chalicelib.settings import Settings
    from local.bootstrap import create_resources, seed
    from tocsin_cli.policies import read_policy_dir

    figures: dict[str, Any] = {}
    with mock_aws():
        session = boto3.Session()
        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
        create_resources(settings, session)
        seed(settings, session)
        wiring.reset()
        services = wiring.Container(settings, session)
        contacts = people(count)
        for contact in contacts:
            services.directory.put(contact)
        documents = read_policy_dir(PROJECT / "policies").sections
        documents["settings"] = [LARGE_BUDGET]  # nothing of this fan-out is held
        services.playbook_store.apply(documents, NOW)
        incident = replace(INCIDENT, playbook_version=services.playbooks.load().version)
        services.incidents.create(incident, [])
        counted: Counter[str] = Counter()

        def count_call(model: Any, **_: Any) -> None:
            counted[f"{model.service_model.service_name}:{model.name}"] += 1

        for service in ("dynamodb", "sns", "sesv2", "sqs"):
            services.client(service).meta.events.register("before-call", count_call)
        services.playbooks.load_version(incident.playbook_version)  # cached per container
        for channel in (Channel.SMS, Channel.EMAIL):
            counted.clear()
            jobs = [NotificationJob(INCIDENT.incident_id, c.contact_id, channel) for c in contacts]
            for start in range(0, len(jobs), 50):
                services.dispatcher.dispatch(INCIDENT.incident_id, jobs[start : start + 50])
            total = sum(counted.values())
            figures[channel.value] = {
                "actual": round(total / len(jobs), 2),
                "minimum": MINIMUM_CALLS[channel.value],
                "by_api": {
                    name: round(number / len(jobs), 3) for name, number in sorted(counted.items())
                },
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--calls-people", type=int, default=50)
    arguments = parser.parse_args()
    print(json.dumps({"overhead": overhead(arguments.people)}, indent=2))
    print(json.dumps({"calls": calls(arguments.calls_people)}, indent=2))


if __name__ == "__main__":
    main()
