"""Trigger to first send, in-process: the HTTP route, then the same queue handlers Lambda runs.

    python -m bench.trigger_to_first_send [--runs N]

For a 10-person plan, measures per run from just before ``POST /v1/events`` to the first
``notification_sent`` timeline entry (stamped after AWS, here moto, accepted the message), with
the queues drained in-process by the local runner. Each run starts from the same freshly seeded
tables (see fresh_world). Clients are built in a warm-up run first, as in a warm Lambda.
Timings are figures to read, never test assertions.

``critical_path_calls``: the AWS calls the first send waits for, from ``POST /v1/events`` to
the first channel call (that call included), by API and function, counted on the last run (a
count, the same on any machine): see :func:`critical_path`. The calls the queue plumbing makes
(receiving and deleting queue messages: Lambda's event source mapping does that in AWS, the
local runner here) are not the functions' and are left out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.environment import fake_aws

PROJECT = Path(__file__).resolve().parent.parent


# The channel APIs: the first call of one of them ends the critical path.
CHANNEL_CALLS = frozenset(
    {
        "sns:Publish",
        "sesv2:SendEmail",
        "pinpoint-sms-voice-v2:SendTextMessage",
        "pinpoint-sms-voice-v2:SendVoiceMessage",
        "pinpoint:SendMessages",
    }
)
# What Lambda's event source mapping does in AWS (the local runner here): not the functions'.
PLUMBING = frozenset(
    {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueUrl"}
)


# The functions on the way, by their handler's name (anything else runs in the API's).
FUNCTIONS = {"evaluate_events": "evaluator", "dispatch_notifications": "dispatcher"}


@contextmanager
def every_aws_call(
    record: Callable[[tuple[str, str]], None], spans: list[tuple[float, float]] | None = None
) -> Iterator[None]:
    """``record((function, "service:Operation"))`` for every AWS call any client in the
    process makes; ``function``: the Lambda function whose handler made it. ``spans``: each
    call's (start, end), wall-clock seconds: the time spent in AWS (here, in moto)."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counted(client: Any, operation: str, params: Any) -> Any:
        frame, function = sys._getframe(1), "api"
        while frame is not None:
            if frame.f_code.co_name in FUNCTIONS:
                function = FUNCTIONS[frame.f_code.co_name]
                break
            frame = frame.f_back  # type: ignore[assignment]
        record((function, f"{client.meta.service_model.service_name}:{operation}"))
        started = time.time()
        try:
            return original(client, operation, params)
        finally:
            if spans is not None:
                spans.append((started, time.time()))

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


def critical_path(calls: list[tuple[str, str]]) -> dict[str, Any]:
    """The calls the first send waits for, by API: each function's up to its queueing of the
    work for the next (what it does after runs beside the next function in AWS, though the
    local runner runs it first: the API marking the event queued, the evaluator's other work
    when it queued the first jobs), and up to the first channel call, included.
    ``in_process_total``: every call before that first channel call, in the runner's order."""
    path: list[str] = []
    sequential = 0
    queued: set[str] = set()  # the functions that have handed the work on
    for function, call in calls:
        if call in PLUMBING:
            continue
        sequential += 1
        if function in queued:
            continue
        path.append(f"{function} {call}")
        if call.startswith("sqs:SendMessage"):
            queued.add(function)
        if call in CHANNEL_CALLS:
            break
    by_api: dict[str, int] = {}
    for step in path:
        call = step.split(" ", 1)[1]
        by_api[call] = by_api.get(call, 0) + 1
    by_function: dict[str, int] = {}
    for step in path:
        by_function[step.split(" ", 1)[0]] = by_function.get(step.split(" ", 1)[0], 0) + 1
    return {
        "total": len(path),
        "by_api": dict(sorted(by_api.items())),
        "by_function": by_function,
        "in_process_total": sequential,
        "order": path,
    }


EXTRA_PEOPLE = 4  # the six example contacts and four more: the 10-person plan


def add_people(settings: Any, session: Any) -> None:
    """Four more fictional members of the crisis cell (numbers 202-555-0110..0113)."""
    from chalicelib.core.model import Contact
    from chalicelib.storage.contacts import DynamoContactDirectory

    directory = DynamoContactDirectory(session.client("dynamodb"), settings.contacts_table)
    for number in range(EXTRA_PEOPLE):
        directory.put(
            Contact(
                contact_id=f"c-bench-{number}",
                name="Bench Example",
                roles=("communications",),
                phone=f"+120255501{10 + number}",
                email=f"bench{number}@example.com",
            )
        )


def measure(
    runs: int, calls: list[tuple[str, str]] | None = None, in_aws: list[float] | None = None
) -> list[float]:
    """The timings; ``calls``: filled with the last run's AWS calls, in order; ``in_aws``: with
    each run's milliseconds inside AWS calls (moto) before its first send."""
    fake_aws(POWERTOOLS_LOG_LEVEL="WARNING")
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.settings import Settings
    from local import moto_fixes
    from local.bootstrap import create_resources, seed
    from local.runner import QueueRunner

    # moto backs up a table for every action of a TransactWriteItems (its rollback); the tests
    # and the local stack copy it once a call, as DynamoDB copies nothing (local/moto_fixes.py).
    moto_fixes.apply()

    demo = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
    headers = {"Authorization": "Bearer local-dev-key", "Content-Type": "application/json"}
    timings = []
    with mock_aws() as mock:
        session = boto3.Session()
        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})

        def fresh_world() -> None:
            # moto copies a whole table for every TransactWriteItems (its rollback), so a
            # table that grows run after run would time moto, not Tocsin: each run starts
            # from the same seeded world, as a quiet production table would look to DynamoDB.
            mock.reset()
            create_resources(settings, session)
            seed(settings, session)
            add_people(settings, session)

        fresh_world()
        with Client(app, stage_name="local", project_dir=str(PROJECT)) as client:
            runner = QueueRunner(app, client.lambda_.invoke, session=session, retry_delay=0)
            for run in range(runs + 1):
                fresh_world()
                body = json.dumps({**demo, "dedup_key": f"bench-{run}"}).encode()
                seen: list[tuple[str, str]] = []
                spans: list[tuple[float, float]] = []
                started = datetime.now(UTC)
                with every_aws_call(seen.append, spans):
                    event_id = client.http.post("/v1/events", headers=headers, body=body).json_body[
                        "event_id"
                    ]
                    runner.drain()
                if calls is not None:
                    calls[:] = seen
                event = client.http.get(f"/v1/events/{event_id}", headers=headers).json_body
                incident = client.http.get(
                    f"/v1/incidents/{event['incident_id']}", headers=headers
                ).json_body
                first = min(
                    datetime.fromisoformat(entry["at"])
                    for entry in incident["timeline"]
                    if entry["kind"] == "notification_sent"
                )
                if run:  # run 0 warms up clients and caches
                    timings.append((first - started).total_seconds() * 1000)
                    until = first.timestamp()
                    inside = sum(min(end, until) - start for start, end in spans if start < until)
                    if in_aws is not None:
                        in_aws.append(inside * 1000)
    return timings


def figures(runs: int) -> dict[str, Any]:
    """``median``, ``p95``: trigger to first send, in-process, on moto; ``median_in_aws``: of
    that, the time inside AWS calls (moto's, which DynamoDB, SQS and SNS replace with their own
    latencies); ``median_outside_aws``: the rest, Tocsin's own (with the local runner's)."""
    calls: list[tuple[str, str]] = []
    in_aws: list[float] = []
    measured = measure(runs, calls, in_aws)
    timings = sorted(measured)
    outside = [total - aws for total, aws in zip(measured, in_aws, strict=True)]
    return {
        "critical_path_calls": critical_path(calls),
        "median": round(statistics.median(timings), 1),
        "p95": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "median_in_aws": round(statistics.median(in_aws), 1),
        "median_outside_aws": round(statistics.median(outside), 1),
        "runs": len(timings),
        "plan": "crisis-cell (10 people, 19 messages; its statements are drafted, not sent)",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    print(json.dumps(figures(parser.parse_args().runs)))
