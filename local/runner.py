"""Stand in for Lambda's SQS event source mappings and schedules on the local stack.

It reads the app's own registrations (``app.event_sources``), so a new handler needs no
change here. Like Lambda: a batch is deleted only when its handler returns; when it raises,
the messages come back later (after ``retry_delay`` here, the visibility timeout on AWS) and
the queue's redrive policy moves a message that keeps failing to its dead-letter queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from chalice.app import Chalice, SQSEventConfig

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


class QueueRunner:
    def __init__(
        self,
        app: Chalice,
        invoke: Invoke,
        session: boto3.Session | None = None,
        retry_delay: int = 2,
    ) -> None:
        self._bindings = queue_bindings(app)
        self._invoke = invoke
        self._sqs: Any = (session or boto3.Session()).client("sqs")
        self._retry_delay = retry_delay
        self._urls: dict[str, str] = {}
        self._region = self._sqs.meta.region_name

    def drain_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch from every queue and hand it to its handler; messages handled."""
        handled = 0
        for binding in self._bindings:
            handled += self._pump(binding, wait_seconds)
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

        threads = [
            threading.Thread(target=poll, args=(binding,), name=binding.queue_name, daemon=True)
            for binding in self._bindings
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

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
        try:
            self._invoke(binding.function_name, event)
        except Exception:
            log.exception("%s failed; its batch will be retried", binding.function_name)
            for message in messages:
                self._sqs.change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_delay,
                )
            return len(messages)
        self._sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ],
        )
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
    print(f"Queue runner: {', '.join(b.queue_name for b in runner._bindings)}", flush=True)
    runner.run_forever(stop)


if __name__ == "__main__":
    main()
