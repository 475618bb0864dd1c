"""Dead letters, and why they died: what each dead-letter queue holds, and sending it back.

SQS keeps no reason with a message, so the queue handlers record the last error of every
message that failed, by its message id (``FAILURE#<message id>``, in the incidents table, kept
as long as SQS keeps a dead letter: 14 days). A message moved to its dead-letter queue keeps its
id, so ``tocsin dlq show`` finds the reason beside it. Only ids, counts and the redacted error
are kept: never the message's content (it may name people).

Each queue ``q`` has its dead-letter queue ``q-dlq`` (local/bootstrap.py and infra/ alike).
Redriving receives from ``q-dlq``, sends each message to ``q`` and deletes it from ``q-dlq`` only
once SQS took it (the same message may then be handled twice: the handlers are idempotent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import NotFound, TransientError
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item

FAILURE_RETENTION = timedelta(days=14)  # SQS's longest retention, the dead-letter queues'
DEAD_LETTER_SUFFIX = "-dlq"
_BATCH_GET = 100  # BatchGetItem keys per call
_PEEK_SECONDS = 30  # messages shown are hidden this long, then made visible again at once


@dataclass(frozen=True)
class Failure:
    """The last error of one queue message: ``reason`` is redacted and short."""

    queue: str
    message_id: str
    reason: str
    receives: int
    at: datetime


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    sent_at: datetime | None
    holds: str  # what it is about, by id only ("event evt_...", "incident inc_..., 3 jobs")
    failure: Failure | None  # None: no reason recorded (the handler never ran, say)


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str  # "ingest", "dispatch"
    queue: str  # the queue the messages came from
    dead_letter_queue: str
    approximate_count: int
    letters: tuple[DeadLetter, ...]


class DynamoFailureLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, failure: Failure) -> None:
        """Keep the last failure of a message (a later one replaces it)."""
        item = {
            **keys.failure(failure.message_id),
            "queue": failure.queue,
            "message_id": failure.message_id,
            "reason": failure.reason,
            "receives": failure.receives,
            "at": failure.at.isoformat(),
            "expires_at": int((failure.at + FAILURE_RETENTION).timestamp()),
        }
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def find(self, message_ids: Sequence[str]) -> dict[str, Failure]:
        found: dict[str, Failure] = {}
        unique = sorted(set(message_ids))
        for start in range(0, len(unique), _BATCH_GET):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [to_item(keys.failure(i)) for i in unique[start : start + _BATCH_GET]]
                }
            }
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_get_item(RequestItems=pending)
                for raw in response["Responses"].get(self._table, []):
                    item = from_item(raw)
                    found[item["message_id"]] = Failure(
                        item["queue"],
                        item["message_id"],
                        item["reason"],
                        int(item["receives"]),
                        datetime.fromisoformat(item["at"]),
                    )
                pending = response.get("UnprocessedKeys") or {}
        return found


class SqsDeadLetters:
    """The dead-letter queues of Tocsin's queues, by name (``{"ingest": "tocsin-ingest"}``)."""

    def __init__(self, sqs: Any, queues: Mapping[str, str], failures: DynamoFailureLog) -> None:
        self._sqs = sqs
        self._queues = dict(queues)
        self._failures = failures

    @property
    def names(self) -> list[str]:
        return list(self._queues)

    def show(self, name: str, limit: int = 50) -> DeadLetterQueue:
        """Up to ``limit`` dead letters of the queue ``name``, each with why it failed. The
        messages shown are made visible again at once (showing changes nothing else)."""
        queue = self.queue_of(name)
        url = self._url(queue + DEAD_LETTER_SUFFIX)
        with _sqs_errors(queue):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            seen: dict[str, dict[str, Any]] = {}
            handles: list[str] = []
            for batch in self._receive(url, _PEEK_SECONDS):
                for message in batch:
                    seen.setdefault(message["MessageId"], message)
                    handles.append(message["ReceiptHandle"])
                if len(seen) >= limit:
                    break
            self._release(url, handles)
        failures = self._failures.find(list(seen))
        letters = tuple(
            _letter(message, failures.get(message_id))
            for message_id, message in list(seen.items())[:limit]
        )
        count = max(int(attributes.get("ApproximateNumberOfMessages", 0)), len(seen))
        return DeadLetterQueue(name, queue, queue + DEAD_LETTER_SUFFIX, count, letters)

    def redrive(self, name: str) -> int:
        """Send every dead letter of ``name`` back to its queue; how many went back."""
        queue = self.queue_of(name)
        source, target = self._url(queue + DEAD_LETTER_SUFFIX), self._url(queue)
        moved = 0
        with _sqs_errors(queue):
            for batch in self._receive(source, 60):
                entries = [
                    {
                        "Id": str(index),
                        "MessageBody": message["Body"],
                        **(
                            {"MessageAttributes": message["MessageAttributes"]}
                            if message.get("MessageAttributes")
                            else {}
                        ),
                    }
                    for index, message in enumerate(batch)
                ]
                response = self._sqs.send_message_batch(QueueUrl=target, Entries=entries)
                sent = [batch[int(entry["Id"])] for entry in response.get("Successful", [])]
                if sent:
                    self._sqs.delete_message_batch(
                        QueueUrl=source,
                        Entries=[
                            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                            for index, message in enumerate(sent)
                        ],
                    )
                moved += len(sent)
                if response.get("Failed"):
                    codes = sorted({failure["Code"] for failure in response["Failed"]})
                    raise TransientError(
                        f"SQS refused {len(response['Failed'])} message(s) sent back to {queue} "
                        f"({codes}); {moved} went back, the rest are still in the dead-letter "
                        "queue: run it again"
                    )
        return moved

    def _receive(self, url: str, hide_seconds: int) -> Iterator[list[dict[str, Any]]]:
        """Batches of messages until the queue has none visible (each batch hidden for a while,
        so the next receive returns others)."""
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=hide_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            yield messages

    def _release(self, url: str, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):
            self._sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for index, handle in enumerate(handles[start : start + 10])
                ],
            )

    def queue_of(self, name: str) -> str:
        """The queue called ``name`` (its dead letters are in the same name plus -dlq)."""
        if name not in self._queues:
            raise NotFound(f"no queue {name!r}: the queues are {', '.join(self._queues)}")
        return self._queues[name]

    def _url(self, queue: str) -> str:
        with _sqs_errors(queue):
            return str(self._sqs.get_queue_url(QueueName=queue)["QueueUrl"])


def describe(body: str) -> str:
    """What a message is about, by id only: never its content (it may name people)."""
    try:
        document = json.loads(body)
    except ValueError:
        return "a message that is not JSON"
    if not isinstance(document, dict):
        return "a message Tocsin does not read"
    if isinstance(document.get("event_id"), str):
        return f"event {document['event_id']}"
    if isinstance(document.get("incident_id"), str):
        jobs = document.get("jobs")
        count = len(jobs) if isinstance(jobs, list) else 0
        return f"incident {document['incident_id']}, {count} job(s)"
    return "a message Tocsin does not read"


def _letter(message: Mapping[str, Any], failure: Failure | None) -> DeadLetter:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return DeadLetter(
        message_id=message["MessageId"],
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        holds=describe(message["Body"]),
        failure=failure,
    )


@contextmanager
def _sqs_errors(queue: str) -> Iterator[None]:
    """SQS failures as Tocsin's: a missing queue is NotFound, anything else TransientError."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise NotFound(f"no queue {queue} (is this the right stage?)") from error
        raise TransientError(f"SQS {queue}: {code}") from error
    except BotoCoreError as error:
        raise TransientError(f"SQS {queue}: {type(error).__name__}") from error
