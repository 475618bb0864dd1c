"""Check-ins at scale: a big check-in's fan-out against a quota stand-in, and answers recorded a
second through the real handlers.

    python -m bench.checkins [--people 20000] [--answers 100]

Fan-out: the real CheckinDesk and Dispatcher on the fakes (``fakes/``), the SMS channel wrapped
as the dispatcher wraps it (PacedSender, WindowPacer at its quota) around the stand-in of
``bench/fanout.py`` (at most its quota a second, throttling above). Every dispatch message is
delivered twice, as SQS may; then half the people answer, a reminder round runs, and what each
number received is counted: lost (asked never), twice (asked more than once, or reminded twice),
reminders to people who had answered. The quota is AWS's 100 SMS parts a second times
``TIME_SCALE``, so the run takes seconds. Answers: ``answer_sms_replies`` invoked through
``chalice.test.Client`` against moto, one text a person, then the live counts read back.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.dispatch import with_large_budget
from bench.environment import fake_aws
from bench.fanout import QuotaStandIn
from chalicelib.core.checkins.values import AnsweredBy
from chalicelib.core.messaging.pacing import PacedSender, RetryBudget, WindowPacer
from chalicelib.core.model import Channel, Contact
from chalicelib.core.playbook.checkin_request import parse_checkin_request
from fakes import MemoryWorld

PROJECT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TIME_SCALE = 10  # the stand-in's quota: 100 SMS a second, times this (as bench/fanout.py)
LANGUAGES = ("en", "da", "nb", "zh-Hant")
REQUEST = {
    "audience": {"teams": ["site-copenhagen"]},
    "responders": {"role": "hr"},
    "chain": ["sms"],
    "deadline": "1d",
    "remind": {"every": "10m", "times": 1},
}


def people(count: int) -> list[Contact]:
    return [
        Contact(
            contact_id=f"c-{number:06d}",
            name="Bench Person",
            roles=("facilities",),
            teams=("site-copenhagen",),
            language=LANGUAGES[number % len(LANGUAGES)],
            phone=f"+1202555{number:06d}",
        )
        for number in range(count)
    ]


def fanout(count: int, scale: float = TIME_SCALE) -> dict[str, Any]:
    from chalicelib.core.playbook.document import parse_playbook
    from tocsin_cli.policies import read_policy_dir

    quota = 100 * scale
    standin = QuotaStandIn(Channel.SMS, quota)
    sms = PacedSender(standin, WindowPacer(quota), RetryBudget())
    playbook = parse_playbook(with_large_budget(read_policy_dir(PROJECT / "policies").sections))
    world = MemoryWorld(NOW, playbook, people(count), {Channel.SMS: sms})
    started = time.monotonic()
    checkin = world.checkins.start(parse_checkin_request(REQUEST), "c-bench")
    world.dispatch_queue.bodies += list(world.dispatch_queue.bodies)  # delivered twice
    _drain(world)
    elapsed = time.monotonic() - started
    asked = Counter(standin.accepted)
    answered = [f"c-{number:06d}" for number in range(0, count, 2)]
    for contact_id in answered:
        world.checkins.answer(checkin.checkin_id, contact_id, 1, AnsweredBy.SMS, asked=True)
    world.clock.advance(timedelta(minutes=10))
    standin.accepted.clear()
    world.checkin_reminders.tick()
    world.dispatch_queue.bodies += list(world.dispatch_queue.bodies)
    _drain(world)
    reminded = Counter(standin.accepted)
    answered_phones = {f"+1202555{int(c[2:]):06d}" for c in answered}
    return {
        "people": count,
        "quota_per_s": quota,
        "achieved_per_s": round(count / elapsed, 1),
        "quota_efficiency": round(count / elapsed / quota, 3),
        "lost": count - len(asked),
        "twice": sum(n - 1 for n in asked.values()) + sum(n - 1 for n in reminded.values()),
        "reminded": len(reminded),
        "silent": count - len(answered),
        "reminders_to_people_who_answered": len(answered_phones & set(reminded)),
        "throttled": standin.throttled,
        "time_scale": scale,
    }


def _drain(world: MemoryWorld) -> None:
    while world.dispatch_queue.bodies:
        world.dispatch_queued()


def answers_per_second(count: int) -> dict[str, Any]:
    """Texts answering a check-in, each through ``answer_sms_replies`` against moto."""
    fake_aws(POWERTOOLS_LOG_LEVEL="WARNING", TOCSIN_SMS_PARTS_PER_SECOND="100000")
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import wiring
    from chalicelib.settings import Settings
    from local.bootstrap import create_resources, seed
    from local.runner import QueueRunner
    from tocsin_cli.policies import read_policy_dir

    with mock_aws():
        session = boto3.Session()
        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
        create_resources(settings, session)
        seed(settings, session)
        with Client(app, stage_name="local", project_dir=str(PROJECT)) as client:
            services = wiring.install(wiring.Container(settings, session))
            documents = read_policy_dir(PROJECT / "policies").sections
            services.playbook_store.apply(with_large_budget(documents), NOW)
            crowd = people(count)
            for contact in crowd:
                services.directory.put(contact)
            checkin = services.checkins.start(parse_checkin_request(REQUEST), "c-bench")
            QueueRunner(app, client.lambda_.invoke, session=session, retry_delay=0).drain()
            events = [
                client.events.generate_sns_event(
                    message=json.dumps(
                        {
                            "originationNumber": contact.phone,
                            "destinationNumber": "+12025550100",
                            "messageBody": "1",
                            "inboundMessageId": f"in-{contact.contact_id}",
                        }
                    ),
                    subject="",
                )
                for contact in crowd
            ]
            started = time.monotonic()
            for event in events:
                client.lambda_.invoke("answer_sms_replies", event)
            elapsed = time.monotonic() - started
            recorded = len(services.checkin_store.latest(checkin.checkin_id))
            wiring.reset()
    return {
        "answers": count,
        "recorded": recorded,
        "per_second": round(count / elapsed, 1),
        "ms_per_answer": round(elapsed / count * 1000, 1),
        "through": "answer_sms_replies (chalice.test.Client) against moto",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--answers", type=int, default=100)
    arguments = parser.parse_args()
    figures = {
        "fanout": fanout(arguments.people),
        "answers": answers_per_second(arguments.answers),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
