"""Tocsin's figures: the EMF lines the meter writes, and what the dispatcher counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bench.dispatch import INCIDENT, NOW, people
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.messaging.pacing import PacedSender, RetryBudget, TokenBucket
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Incident, Message, NotificationJob, SendReceipt
from chalicelib.core.telemetry import (
    DIMENSION_VALUES,
    EVENTS_ACCEPTED,
    EVENTS_DECIDED,
    FIGURES,
    MESSAGES_SENT,
    TIME_TO_FIRST_SEND,
)
from chalicelib.observability import EmfMeter
from fakes import (
    FixedClock,
    MemoryDirectory,
    MemoryIncidentStore,
    MemoryPlaybookSource,
    MemorySendLedger,
    RecordingChannel,
    RecordingMeter,
    ScriptedChannel,
)
from tests.conftest import PROJECT


def emf_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if '"_aws"' in line]


def test_the_meter_writes_one_emf_line_per_dimension_value_with_the_total_beside_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    meter = EmfMeter()
    meter.record(EVENTS_ACCEPTED, 2)
    meter.record(EVENTS_ACCEPTED)
    meter.record(TIME_TO_FIRST_SEND, 4.5)
    meter.record(TIME_TO_FIRST_SEND, 9.0)
    meter.record(MESSAGES_SENT, by="sms")
    meter.record(MESSAGES_SENT, 3, by="sms")
    meter.record(MESSAGES_SENT, by="email")
    meter.record(EVENTS_DECIDED, by="activated")
    meter.flush("prod")
    lines = emf_lines(capsys.readouterr().out)
    assert len(lines) == 4
    plain = next(line for line in lines if "EventsAccepted" in line)
    assert (plain["EventsAccepted"], plain["TimeToFirstSend"]) == ([3.0], [4.5, 9.0])
    assert (plain["service"], plain["stage"]) == ("tocsin", "prod")
    [directive] = plain["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    assert directive["Namespace"] == "Tocsin"
    assert [sorted(names) for names in directive["Dimensions"]] == [["service", "stage"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "EventsAccepted": "Count",
        "TimeToFirstSend": "Seconds",
    }
    sms = next(line for line in lines if line.get("channel") == "sms")
    assert sms["MessagesSent"] == [4.0]
    [directive] = sms["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    # Per channel, and in total over the channels (the alarms watch the total).
    assert sorted(sorted(names) for names in directive["Dimensions"]) == [
        ["channel", "service", "stage"],
        ["service", "stage"],
    ]
    decided = next(line for line in lines if "EventsDecided" in line)
    assert decided["outcome"] == "activated"
    meter.flush("prod")
    assert capsys.readouterr().out == ""  # written once


def test_a_figure_is_recorded_by_its_own_dimension_only() -> None:
    meter = EmfMeter()
    with pytest.raises(ValueError, match="MessagesSent is recorded by channel"):
        meter.record(MESSAGES_SENT)
    with pytest.raises(ValueError, match="EventsAccepted is recorded by nothing"):
        meter.record(EVENTS_ACCEPTED, by="sms")


def test_every_figure_names_a_unit_and_its_dimension_values() -> None:
    assert len({figure.name for figure in FIGURES}) == len(FIGURES)
    for figure in FIGURES:
        assert figure.description
        if figure.dimension:
            assert figure.values == DIMENSION_VALUES[figure.dimension]
    assert "pending" not in DIMENSION_VALUES["outcome"]  # never a decision


# As the fake playbook source stores its one playbook: version 1.
OPENED = replace(INCIDENT, playbook_version=1)


class RacingIncidents(MemoryIncidentStore):
    """Every batch reads the incident as it was before any of them recorded its first send (they
    run at once); the conditional write still lets only the first record it."""

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.create(incident, [])
        self.as_read = incident
        self.marked: list[object] = []

    def get(self, incident_id: str) -> Incident:
        return self.as_read

    def mark_first_send(self, incident_id: str, at: datetime) -> bool:
        self.marked.append(at)
        return super().mark_first_send(incident_id, at)


def dispatcher(
    senders: dict[Channel, ChannelSender],
    meter: RecordingMeter,
    incidents: MemoryIncidentStore | None = None,
) -> Dispatcher:
    """The real dispatcher on the fakes, with no budget: every message is sent."""
    from tocsin_cli.policies import read_policy_dir

    playbooks = MemoryPlaybookSource(read_policy_dir(PROJECT / "policies").validate())
    if incidents is None:
        incidents = MemoryIncidentStore()
        incidents.create(OPENED, [])
    return Dispatcher(
        incidents,
        playbooks,
        MemoryDirectory(people(8)),
        MemorySendLedger(incidents),
        senders,
        FixedClock(NOW),
        timedelta(minutes=2),
        meter=meter,
    )


def jobs(channel: Channel, count: int = 6) -> list[NotificationJob]:
    return [
        NotificationJob(INCIDENT.incident_id, person.contact_id, channel)
        for person in people(count)
    ]


def paced(channel: ChannelSender) -> PacedSender:
    return PacedSender(
        channel,
        TokenBucket(1000, burst=1000),
        RetryBudget(attempts=3),
        sleep=lambda seconds: None,
        jitter=lambda low, high: 0.0,
        meter=METER,
    )


METER = RecordingMeter()


def test_sends_failures_and_throttles_are_counted_per_channel() -> None:
    METER.records.clear()
    sms = ScriptedChannel(
        RecordingChannel(Channel.SMS),
        {
            "+12025550000": [TransientSendError("ThrottlingException", "slow", throttled=True)],
            "+12025550001": [PermanentSendError("InvalidParameter", "not a number")],
            "+12025550002": [TransientSendError("ServiceUnavailable", "later")],
        },
    )
    email = RecordingChannel(Channel.EMAIL)
    report = dispatcher({Channel.SMS: paced(sms), Channel.EMAIL: paced(email)}, METER).dispatch(
        INCIDENT.incident_id, jobs(Channel.SMS) + jobs(Channel.EMAIL)
    )
    assert (report.sent, report.failed) == (11, 1)
    assert METER.total("MessagesSent", "sms") == 5  # the throttled one went on the retry
    assert METER.total("MessagesSent", "email") == 6
    assert METER.total("MessagesFailed", "sms") == 1
    assert METER.total("MessagesThrottled", "sms") == 1  # unavailable is not throttling
    assert METER.total("MessagesThrottled", "email") == 0


def test_a_batch_item_throttled_counts_as_failed_and_throttled() -> None:
    meter = RecordingMeter()

    class ThrottledOne(RecordingChannel):
        def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
            raise TransientSendError("TooManyRequestsException", "slow", throttled=True)

    plain = PacedSender(
        ThrottledOne(Channel.EMAIL),
        TokenBucket(1000, burst=1000),
        RetryBudget(attempts=1),
        sleep=lambda seconds: None,
        meter=meter,
    )
    report = dispatcher({Channel.EMAIL: plain}, meter).dispatch(
        INCIDENT.incident_id, jobs(Channel.EMAIL, 2)
    )
    assert (report.failed, len(report.retry)) == (2, 2)
    # Once by the pacer that gave up, once as the message's outcome.
    assert meter.total("MessagesThrottled", "email") == 4
    assert meter.total("MessagesFailed", "email") == 2


def test_time_to_first_send_is_counted_by_the_batch_that_records_it_only() -> None:
    meter = RecordingMeter()
    opened = replace(OPENED, opened_at=NOW - timedelta(seconds=42))
    incidents = RacingIncidents(opened)
    senders: dict[Channel, ChannelSender] = {Channel.SMS: paced(RecordingChannel(Channel.SMS))}
    send = dispatcher(senders, meter, incidents)
    send.dispatch(INCIDENT.incident_id, jobs(Channel.SMS, 3))
    send.dispatch(INCIDENT.incident_id, jobs(Channel.SMS, 6)[3:])  # a second, concurrent batch
    assert incidents.marked == [NOW, NOW]
    assert meter.values("TimeToFirstSend") == [42.0]
    stored = incidents.incidents()[0]
    assert stored.first_sent_at == NOW
    incidents.as_read = stored
    assert send.dispatch(INCIDENT.incident_id, jobs(Channel.SMS, 8)[6:]).sent == 2
    assert len(incidents.marked) == 2  # known already: not even tried


class Context:
    function_name = "api_handler"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id


class HttpRequest:
    """What Chalice hands HTTP middleware: API Gateway's requestContext and Lambda's context."""

    def __init__(self, request_id: str, gateway_id: str | None) -> None:
        self.context = {"requestId": gateway_id} if gateway_id else {}
        self.lambda_context = Context(request_id)


class QueueEvent:
    def __init__(self, request_id: str) -> None:
        self.context = Context(request_id)


def test_an_http_request_is_correlated_by_api_gateways_request_id() -> None:
    from chalicelib.observability import correlation_id, logger, observe_invocation

    seen: dict[str, object] = {}

    def handler(event: object) -> str:
        seen.update(logger.thread_safe_get_current_keys())
        return "answered"

    assert observe_invocation(HttpRequest("lambda-1", "gateway-1"), handler) == "answered"
    assert (seen["correlation_id"], seen["function_request_id"]) == ("gateway-1", "lambda-1")
    assert correlation_id() is None  # cleared at the end


def test_the_keys_are_cleared_and_the_figures_written_even_when_the_handler_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chalicelib.observability import (
        correlation_id,
        metrics,
        observe_invocation,
        set_correlation_id,
    )

    def failing(event: object) -> None:
        set_correlation_id("evt_01M6B1YQ006EMTW12P27F9HM52")
        metrics.record(EVENTS_ACCEPTED)
        raise RuntimeError("the batch must be retried")

    with pytest.raises(RuntimeError):
        observe_invocation(QueueEvent("lambda-2"), failing)
    assert correlation_id() is None
    [line] = emf_lines(capsys.readouterr().out)
    assert line["EventsAccepted"] == [1.0]


def test_no_handler_sets_a_correlation_id_the_middleware_cannot_clear() -> None:
    """Powertools' own ``logger.set_correlation_id`` writes a key the middleware's
    ``thread_safe_clear_keys`` leaves behind, so a warm function would log later requests under
    it (found in the erasure worker and the updates route by the full suite's log test):
    ``chalicelib.observability.set_correlation_id`` is the only way in."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("chalicelib", "local", "app.py")
        for path in ([root / folder] if folder.endswith(".py") else (root / folder).rglob("*.py"))
        if "logger.set_correlation_id(" in path.read_text()
    ]
    assert offenders == []
