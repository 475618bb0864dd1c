"""One bad record no longer sends its whole batch around again: the queue handlers answer with
SQS partial batch responses, and the local runner honours them as Lambda does."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.settings import Settings
from local.runner import QueueRunner, batch_item_failures
from tests.conftest import PROJECT
from tests.e2e.conftest import Api

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


def queue_url(session: boto3.Session, name: str) -> str:
    return str(session.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def dead_letter_ids(session: boto3.Session, queue: str) -> list[str]:
    sqs = session.client("sqs")
    found = sqs.receive_message(
        QueueUrl=queue_url(session, f"{queue}-dlq"), MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [message["MessageId"] for message in found]


def test_a_poison_message_goes_around_alone_and_its_batch_mates_are_handled_once(
    api: Api, client: Client, world: boto3.Session, settings: Settings
) -> None:
    """Before, the handler raised for the batch: the good event was decided five times over
    and then went to the dead-letter queue with the poison message."""
    handled: Counter[str] = Counter()

    def counting(name: str, event: dict[str, Any]) -> Any:
        for record in event["Records"]:
            handled[record["messageId"]] += 1
        return client.lambda_.invoke(name, event)

    poison = world.client("sqs").send_message(
        QueueUrl=queue_url(world, settings.ingest_queue), MessageBody='{"not": "an event"}'
    )["MessageId"]
    event_id = api.post_event(DEMO).json_body["event_id"]
    QueueRunner(app, counting, session=world, retry_delay=0).drain()

    assert handled[poison] == 5  # the queue's maxReceiveCount, then the dead-letter queue
    others = [count for message_id, count in handled.items() if message_id != poison]
    assert others and set(others) == {1}
    assert dead_letter_ids(world, settings.ingest_queue) == [poison]
    assert api.get(f"/v1/events/{event_id}").json_body["status"] == "activated"


def test_the_handler_names_only_the_records_that_failed(client: Client) -> None:
    good = json.dumps({"incident_id": "inc_01M84STVCFS7F5J06PS8A3D6CA", "jobs": []})
    event = client.events.generate_sqs_event(
        queue_name="tocsin-dispatch", message_bodies=[good, "{broken", good]
    )
    ids = [record["messageId"] for record in event["Records"]]
    answer = client.lambda_.invoke("dispatch_notifications", event).payload
    assert answer == {"batchItemFailures": [{"itemIdentifier": ids[1]}]}


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "elsewhere"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"id": "b"}]}, {"a", "b", "c"}),
    ],
)
def test_the_runner_reads_a_partial_batch_response_as_lambda_does(
    answer: Any, failed: set[str]
) -> None:
    """ "Handling errors for an SQS event source" (docs.aws.amazon.com/lambda/latest/dg/
    services-sqs-errorhandling.html): nothing or an empty list is success; an empty, missing or
    unknown identifier fails the whole batch."""
    assert batch_item_failures(answer, ["a", "b", "c"]) == failed
