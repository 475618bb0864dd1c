"""Stand in for Lambda's SQS event source mappings, SNS subscriptions and schedules locally.

It reads the app's own registrations (``app.event_sources``), so a new handler needs no
change here. Like Lambda with ``ReportBatchItemFailures`` (how ``infra/`` maps the queues): the
messages of a batch are deleted when its handler returns, except those its partial batch
response names (``batchItemFailures``); when it raises, or names a message that is not in the
batch, every message of the batch comes back. They come back later (after ``retry_delay``
here, the visibility timeout on AWS), and the queue's redrive policy moves a message that keeps
failing to its dead-letter queue.

SNS topics reach their handlers as on AWS: each topic with a handler gets a local SQS queue
subscribed to it (``tocsin-local-sns-<topic>``), and each notification on that queue is handed
to the handler as the SNS event Lambda builds, one record per invocation. A notification whose
handler keeps failing is tried three times (Lambda's asynchronous invocation: the first try and
two retries), then moved to ``tocsin-local-sns-<topic>-dlq``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.app import Chalice, ScheduledEventConfig, SNSEventConfig, SQSEventConfig

Invoke = Callable[[str, dict[str, Any]], Any]
log = logging.getLogger("tocsin.local.runner")


@dataclass(frozen=True)
class QueueBinding:
    function_name: str
    queue_name: str
    batch_size: int


def queue_bindings(app: Chalice) -> list[QueueBinding]:
    return [
        QueueBinding(source.name, source.queue, source.batch_size)
        for source in app.event_sources
        if isinstance(source, SQSEventConfig) and source.queue
    ]


@dataclass(frozen=True)
class TopicBinding:
    function_name: str
    topic_name: str

    @property
    def queue_name(self) -> str:
        return f"tocsin-local-sns-{self.topic_name}"


def topic_bindings(app: Chalice) -> list[TopicBinding]:
    return [
        TopicBinding(source.name, source.topic)
        for source in app.event_sources
        if isinstance(source, SNSEventConfig) and source.topic
    ]


SNS_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first try and two retries


def sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda builds for one SNS notification (from the envelope SQS received)."""
    attributes = {
        name: {"Type": value.get("Type", "String"), "Value": value.get("Value", "")}
        for name, value in envelope.get("MessageAttributes", {}).items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": envelope.get("Type", "Notification"),
                    "MessageId": envelope["MessageId"],
                    "TopicArn": envelope["TopicArn"],
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope.get("Timestamp", ""),
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


@dataclass(frozen=True)
class ScheduleBinding:
    function_name: str
    interval_seconds: float


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_bindings(app: Chalice) -> list[ScheduleBinding]:
    """The app's ``rate()`` schedules. A ``cron()`` one is refused at start, not silently
    never fired."""
    bindings = []
    for source in app.event_sources:
        if not isinstance(source, ScheduledEventConfig):
            continue
        expression = source.schedule_expression
        text = expression if isinstance(expression, str) else expression.to_string()
        match = _RATE.fullmatch(text)
        if match is None:
            raise ValueError(f"{source.name}: the local runner fires rate() schedules only: {text}")
        value, unit = int(match.group(1)), match.group(2).rstrip("s")
        bindings.append(ScheduleBinding(source.name, value * _UNIT_SECONDS[unit]))
    return bindings


class Scheduler:
    """Which schedules are due at ``now`` (seconds, any monotonic origin); first fire after one
    interval, as EventBridge does for a new rule."""

    def __init__(self, bindings: list[ScheduleBinding], start: float) -> None:
        self._next = {
            binding.function_name: start + binding.interval_seconds for binding in bindings
        }
        self._interval = {binding.function_name: binding.interval_seconds for binding in bindings}

    def due(self, now: float) -> list[str]:
        names = [name for name, at in self._next.items() if at <= now]
        for name in names:
            while self._next[name] <= now:  # a missed beat fires once, not a burst
                self._next[name] += self._interval[name]
        return sorted(names)

    def seconds_until_next(self, now: float) -> float:
        return max(0.0, min(self._next.values(), default=now + 60) - now)


def scheduled_event(function_name: str, region: str) -> dict[str, Any]:
    """The event EventBridge sends to a function on a schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{function_name}"],
        "detail": {},
    }


def batch_item_failures(result: Any, message_ids: Sequence[str]) -> set[str]:
    """The messages a handler's answer sends back to the queue, read as Lambda reads a partial
    batch response: none when it returns nothing or an empty list; every one when it names a
    message that is not in the batch, or none by an empty id (Lambda fails the whole batch)."""
    payload = getattr(result, "payload", result)  # chalice.test's InvokeResponse, or the answer
    if not isinstance(payload, dict) or not payload.get("batchItemFailures"):
        return set()
    named = {
        str(failure.get("itemIdentifier") or "") if isinstance(failure, dict) else ""
        for failure in payload["batchItemFailures"]
    }
    everything = set(message_ids)
    return everything if named - everything else named


class QueueRunner:
    def __init__(
        self,
        app: Chalice,
        invoke: Invoke,
        session: boto3.Session | None = None,
        retry_delay: int = 2,
    ) -> None:
        self._bindings = queue_bindings(app)
        self._topics = topic_bindings(app)
        self._schedules = schedule_bindings(app)
        self._invoke = invoke
        self._session = session or boto3.Session()
        self._sqs: Any = self._session.client("sqs")
        self._retry_delay = retry_delay
        self._urls: dict[str, str] = {}
        self._subscriptions: dict[str, str] = {}
        self._region = self._sqs.meta.region_name

    def subscribe_topics(self) -> None:
        """Give every topic with a handler its local queue, subscribed (idempotent)."""
        sns = self._session.client("sns")
        for binding in self._topics:
            topic_arn = sns.create_topic(Name=binding.topic_name)["TopicArn"]
            dlq_url = self._sqs.create_queue(QueueName=f"{binding.queue_name}-dlq")["QueueUrl"]
            dlq_arn = self._sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": SNS_ATTEMPTS})
            url = self._sqs.create_queue(
                QueueName=binding.queue_name, Attributes={"RedrivePolicy": redrive}
            )["QueueUrl"]
            self._urls[binding.queue_name] = url
            queue_arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            subscription = sns.subscribe(
                TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
            )
            self._subscriptions[binding.topic_name] = subscription["SubscriptionArn"]

    def drain_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch from every queue (and every topic's queue) and hand it to its
        handler; messages handled."""
        handled = 0
        for binding in self._bindings:
            handled += self._pump(binding, wait_seconds)
        for topic in self._topics if self._subscriptions else ():
            handled += self._pump_topic(topic, wait_seconds)
        return handled

    def drain(self, max_rounds: int = 100) -> int:
        """Until every queue is empty (a bounded number of rounds); messages handled."""
        total = 0
        for _ in range(max_rounds):
            handled = self.drain_once()
            total += handled
            if handled == 0:
                return total
        raise RuntimeError(f"queues still not empty after {max_rounds} rounds")

    def run_forever(self, stop: threading.Event, wait_seconds: int = 1) -> None:
        """Long-poll every queue in its own thread, as Lambda's pollers do, until ``stop``."""

        def poll(binding: QueueBinding) -> None:
            while not stop.is_set():
                try:
                    self._pump(binding, wait_seconds)
                except Exception:
                    log.exception("polling %s failed; retrying", binding.queue_name)
                    stop.wait(1)

        def poll_topic(binding: TopicBinding) -> None:
            while not stop.is_set():
                try:
                    self._pump_topic(binding, wait_seconds)
                except Exception:
                    log.exception("polling topic %s failed; retrying", binding.topic_name)
                    stop.wait(1)

        threads = [
            threading.Thread(target=poll, args=(binding,), name=binding.queue_name, daemon=True)
            for binding in self._bindings
        ]
        threads += [
            threading.Thread(
                target=poll_topic, args=(binding,), name=binding.queue_name, daemon=True
            )
            for binding in (self._topics if self._subscriptions else ())
        ]
        if self._schedules:
            threads.append(
                threading.Thread(
                    target=self._fire_schedules, args=(stop,), name="schedules", daemon=True
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _fire_schedules(self, stop: threading.Event) -> None:
        scheduler = Scheduler(self._schedules, time.monotonic())
        while not stop.wait(scheduler.seconds_until_next(time.monotonic())):
            for name in scheduler.due(time.monotonic()):
                try:
                    self._invoke(name, scheduled_event(name, self._region))
                except Exception:
                    log.exception("scheduled %s failed", name)

    def _pump(self, binding: QueueBinding, wait_seconds: int) -> int:
        url = self._url(binding.queue_name)
        response = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(binding.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(binding.queue_name, message) for message in messages]}
        ids = [message["MessageId"] for message in messages]
        try:
            failed = batch_item_failures(self._invoke(binding.function_name, event), ids)
        except Exception:
            log.exception("%s failed; its batch will be retried", binding.function_name)
            failed = set(ids)
        if failed:
            log.warning("%s: %d message(s) to retry", binding.function_name, len(failed))
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_delay,
                )
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        return len(messages)

    def _pump_topic(self, binding: TopicBinding, wait_seconds: int) -> int:
        url = self._url(binding.queue_name)
        response = self._sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        messages = response.get("Messages", [])
        for message in messages:
            event = sns_event(json.loads(message["Body"]), self._subscriptions[binding.topic_name])
            try:
                self._invoke(binding.function_name, event)
            except Exception:
                log.exception("%s failed; the notification will be retried", binding.function_name)
                self._sqs.change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_delay,
                )
                continue
            self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _url(self, queue_name: str) -> str:
        if queue_name not in self._urls:
            self._urls[queue_name] = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        return self._urls[queue_name]

    def _record(self, queue_name: str, message: dict[str, Any]) -> dict[str, Any]:
        """The record Lambda builds for an SQS message."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{self._region}:123456789012:{queue_name}",
            "awsRegion": self._region,
        }


def main() -> None:
    """``python -m local.runner``: drain the queues into the app's handlers until stopped."""
    import signal
    import sys
    from pathlib import Path
    from types import FrameType

    from chalice.test import Client

    project = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(project))
    from app import app

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    log.setLevel(logging.INFO)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    client = Client(app, stage_name="local", project_dir=str(project))
    runner = QueueRunner(app, client.lambda_.invoke)
    runner.subscribe_topics()
    schedules = (
        ", ".join(f"{s.function_name} every {s.interval_seconds:g}s" for s in runner._schedules)
        or "none"
    )
    print(
        f"Queue runner: {', '.join(b.queue_name for b in runner._bindings)}; "
        f"topics: {', '.join(t.topic_name for t in runner._topics)}; schedules: {schedules}",
        flush=True,
    )
    runner.run_forever(stop)


if __name__ == "__main__":
    main()
