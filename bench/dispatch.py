"""The dispatcher's own cost: CPU per notification, and AWS calls per notification.

    python -m bench.dispatch [--people 2000] [--calls-people 50]

Overhead: the real Dispatcher (templates, ledger protocol, acknowledgement passes, pacing, the
budget gate) with the in-memory fakes of every port (``fakes/``, proven equal to the adapters
by their contract suites) and instant, unlimited channels, so what is measured is Tocsin's CPU,
not AWS's latency. Calls: the same dispatch against moto, counting every AWS API call
botocore makes, per channel, beside the least the APIs allow. Both fan out on purpose, so both
set a message budget large enough that nothing is held (``LARGE_BUDGET``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.environment import fake_aws
from chalicelib.core.messaging.pacing import PacedSender, TokenBucket
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    NotificationJob,
    Severity,
)
from fakes import MemoryWorld, RecordingChannel

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
# A fan-out on purpose: the playbook's budget is set so that nothing of it is held.
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


def with_large_budget(documents: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The playbook's documents, its budget replaced by one large enough to hold nothing."""
    others = [d for d in documents.get("settings", []) if d.get("id") != "budget"]
    return {**documents, "settings": [LARGE_BUDGET, *others]}


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


def overhead(count: int, runs: int = 5) -> dict[str, Any]:
    """CPU microseconds per notification (SMS and email, four languages)."""
    from chalicelib.core.playbook.document import parse_playbook
    from tocsin_cli.policies import read_policy_dir

    documents = read_policy_dir(PROJECT / "policies").sections
    playbook = parse_playbook(with_large_budget(documents))
    contacts = people(count)
    samples = []
    for _ in range(runs):
        # A fresh world each run: its send ledger would rightly refuse to send anything twice.
        senders: dict[Channel, ChannelSender] = {
            channel: PacedSender(RecordingChannel(channel), TokenBucket(1e9, burst=1e9))
            for channel in (Channel.SMS, Channel.EMAIL)
        }
        world = MemoryWorld(NOW, playbook, contacts, senders)
        incident = replace(INCIDENT, playbook_version=world.playbooks.version)
        world.incidents.create(incident, [])
        jobs = [
            NotificationJob(INCIDENT.incident_id, contact.contact_id, channel)
            for contact in contacts
            for channel in (Channel.SMS, Channel.EMAIL)
        ]
        dispatcher = world.dispatcher
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
    fake_aws(TOCSIN_SMS_PARTS_PER_SECOND="100000", TOCSIN_EMAILS_PER_SECOND="100000")
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
        services.playbook_store.apply(with_large_budget(documents), NOW)
        incident = replace(INCIDENT, playbook_version=services.playbooks.load().version)
        services.incidents.create(incident, [])
        counted: Counter[str] = Counter()

        def count_call(model: Any, **_: Any) -> None:
            counted[f"{model.service_model.service_name}:{model.name}"] += 1

        for service in ("dynamodb", "sqs"):
            services.client(service).meta.events.register("before-call", count_call)
        for service in ("sns", "sesv2"):  # the channels send with clients of their own
            services.sending_client(service).meta.events.register("before-call", count_call)
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
