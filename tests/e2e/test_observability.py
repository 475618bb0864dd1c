"""What the functions tell operators: metrics in CloudWatch's embedded format, and log lines that
carry the right request, through the handlers Lambda runs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.observability import logger
from chalicelib.settings import Settings
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.conftest import PROJECT, load_event
from tests.e2e.conftest import Api, sent_email, sent_sms
from tests.e2e.test_delivery_tracking import publish, sent_ids
from tests.e2e.test_escalation import (
    CHEN,
    NIGHT,
    clock,  # noqa: F401 - a fixture
    open_outage,
    reply_sms,
    texts_to,
    tick,
    use_it_major,
)

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


class Figures:
    """Every EMF line written so far, read as CloudWatch would."""

    def __init__(self, text: str) -> None:
        self.lines = [json.loads(line) for line in text.splitlines() if '"_aws"' in line]

    def count(self, name: str, by: str | None = None) -> float:
        return sum(
            sum(line[name])
            for line in self.lines
            if name in line and (by is None or by in (line.get("channel"), line.get("outcome")))
        )

    def values(self, name: str) -> list[float]:
        return [value for line in self.lines if name in line for value in line[name]]


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the production log handler writes (it keeps the stdout of import time)."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    handler.setStream(previous)  # type: ignore[attr-defined]


def records(buffer: io.StringIO, start: int = 0) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()[start:]]


def test_a_crisis_publishes_every_figure_once_as_it_happens(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,  # noqa: F811 - the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    incident_id = open_outage(api, runner)
    api.post_event({**DEMO, "metrics": {"affected_people": 120}})  # suppressed
    api.post_event({**DEMO, "severity": "nonsense"})  # refused: not an accepted event
    runner.drain()
    runner.drain()  # nothing left: nothing counted twice

    clock.current = NIGHT + timedelta(minutes=5, seconds=30)
    tick(client)
    tick(client)  # the same minute again: nothing moves, nothing counted
    runner.drain()
    code = texts_to(world, CHEN)[0].split("回覆 ")[1][:4]
    reply_sms(client, CHEN, f"{code} ACK")
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    handed = Counter(e["data"]["channel"] for e in timeline if e["kind"] == "notification_sent")
    assert handed["sms"] == len(sent_sms(world)) - 1 and handed["email"] == len(sent_email(world))

    figures = Figures(capsys.readouterr().out)
    assert figures.count("EventsAccepted") == 2
    assert figures.count("EventsDecided", "activated") == 1
    assert figures.count("EventsDecided", "suppressed") == 1
    # Per channel, every message the dispatcher handed to AWS (not the answer to the reply).
    for channel in ("sms", "email", "voice", "push", "broadcast"):
        assert figures.count("MessagesSent", channel) == handed[channel], channel
    assert figures.count("MessagesSent") == sum(handed.values()) > 3
    assert figures.count("MessagesFailed") == 0
    assert figures.values("TimeToFirstSend") == [0.0]  # the clock stood still
    assert figures.count("EscalationsFired") == 1
    assert figures.values("TimeToAcknowledge") == [330.0]
    assert {(line["service"], line["stage"]) for line in figures.lines} == {("tocsin", "local")}
    assert all(
        line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Tocsin" for line in figures.lines
    )
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["first_sent_at"] == NIGHT.isoformat()


def test_an_escalation_that_runs_out_is_counted(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    clock: FixedClock,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_it_major(
        world,
        settings,
        {"levels": [{"notify": [{"contact": "c-fay"}], "channels": ["sms"], "timeout": "5m"}]},
    )
    open_outage(api, runner)
    clock.current = NIGHT + timedelta(minutes=6)
    tick(client)
    tick(client)
    figures = Figures(capsys.readouterr().out)
    assert figures.count("EscalationsExhausted") == 1
    assert figures.count("EscalationsFired") == 0


def test_a_warm_app_logs_a_second_request_under_its_own_ids_only(
    api: Api, world: boto3.Session, log_output: io.StringIO
) -> None:
    event_id = api.post_event(DEMO).json_body["event_id"]
    first = records(log_output)
    refused = api.get("/v1/incidents?status=nonsense")  # a refusal, after an event
    assert refused.status_code == 400
    second = records(log_output, len(first))

    [accepted] = [line for line in first if line["message"] == "event accepted"]
    assert accepted["correlation_id"] == event_id
    first_ids = {line["function_request_id"] for line in first}
    assert len(first_ids) == 1 and None not in first_ids
    assert second and all(line["message"] == "request refused" for line in second)
    for line in second:
        assert line["function_request_id"] not in first_ids
        # No API Gateway request id locally: Lambda's request id is the correlation id.
        assert line["correlation_id"] == line["function_request_id"]
        assert event_id not in json.dumps(line)
        assert line["cold_start"] is False
    logger.info("between invocations")
    [outside] = records(log_output, len(first) + len(second))
    assert "correlation_id" not in outside and "function_request_id" not in outside


def test_each_queue_record_logs_under_its_own_event_or_incident(
    api: Api, runner: QueueRunner, world: boto3.Session, log_output: io.StringIO
) -> None:
    first = api.post_event(DEMO).json_body["event_id"]
    second = api.post_event({**DEMO, "dedup_key": "another"}).json_body["event_id"]
    start = len(records(log_output))
    runner.drain()
    lines = records(log_output, start)
    decided = {line["correlation_id"]: line for line in lines if line["message"] == "event decided"}
    assert set(decided) == {first, second}
    for event_id, line in decided.items():
        assert line["incident_id"] == "inc_" + event_id.removeprefix("evt_")
    dispatched = [line for line in lines if line["message"] == "notifications dispatched"]
    assert {line["correlation_id"] for line in dispatched} == {
        "inc_" + e.removeprefix("evt_") for e in (first, second)
    }
    # Both records came in one batch, one invocation: one request id, two correlation ids.
    assert len({line["function_request_id"] for line in decided.values()}) == 1
    assert len({line["function_request_id"] for line in dispatched}) == 1
    assert all(line["function_request_id"] for line in lines)


def test_cloud_delivery_and_escalation_handlers_set_their_ids(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    log_output: io.StringIO,
) -> None:
    start = len(records(log_output))
    client.lambda_.invoke("receive_aws_events", load_event("eventbridge-alarm.json"))
    [cloud] = [line for line in records(log_output, start) if "cloud events" in line["message"]]
    assert cloud["correlation_id"] == cloud["event_ids"][0]
    assert cloud["correlation_id"].startswith("evt_")

    runner.drain()
    incident_id = api.get("/v1/incidents").json_body["incidents"][0]["incident_id"]
    message_id = next(iter(sent_ids(api, incident_id).values()))
    start = len(records(log_output))
    publish(client, {"eventType": "Delivery", "mail": {"messageId": message_id}})
    delivered = [line for line in records(log_output, start) if "delivery" in line["message"]]
    assert [line["correlation_id"] for line in delivered] == [incident_id]

    start = len(records(log_output))
    tick_event = scheduled_event("escalate_due_incidents", "us-east-1")
    client.lambda_.invoke("escalate_due_incidents", tick_event)
    client.lambda_.invoke("fire_scheduled_triggers", tick_event)
    for line in records(log_output, start):
        assert line["correlation_id"] == tick_event["id"]


def test_the_first_invocation_of_a_fresh_process_is_the_cold_start() -> None:
    script = (
        "from chalice.test import Client\n"
        "from app import app\n"
        f"client = Client(app, stage_name='local', project_dir={str(PROJECT)!r})\n"
        "for _ in range(3):\n"
        "    assert client.http.get('/v1/incidents').status_code == 401\n"
    )
    environment = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line["message"] == "request refused"]
    assert [line["cold_start"] for line in refused] == [True, False, False]
    assert len({line["function_request_id"] for line in refused}) == 3


def test_chalices_own_logger_writes_through_the_redacting_formatter(
    log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from chalice.app import Chalice

    from chalicelib.observability import adopt_chalice_log

    # Chalice names its logger after the app: Tocsin's own. Built while stdout is not the
    # stream the redacting handler writes to, it configures it: level ERROR, a plain handler.
    other = Chalice(app_name="tocsin")
    try:
        assert other.log.level == logging.ERROR
        adopt_chalice_log(other.log)
        other.log.error("view failed while texting +12025550101")
        logger.info("and an ordinary line still shows")
    finally:
        adopt_chalice_log(other.log)
    assert [line["message"] for line in records(log_output)] == [
        "view failed while texting <phone>",
        "and an ordinary line still shows",
    ]
    assert "+12025550101" not in capsys.readouterr().out
