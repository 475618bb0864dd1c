"""Dead letters under moto: the failure log keeps the last reason per message id; showing a
dead-letter queue lists each message with its reason (ids only, never content) and changes
nothing; redriving sends every message back to its queue and empties the dead-letter queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core.errors import NotFound
from chalicelib.settings import Settings
from chalicelib.storage.dead_letters import DynamoFailureLog, Failure, SqsDeadLetters, describe

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
EVENT = json.dumps({"event_id": "evt_01M84STVCFS7F5J06PS8A3D6CA", "event": {"summary": "x"}})
JOBS = json.dumps({"incident_id": "inc_01M84STVCFS7F5J06PS8A3D6CA", "jobs": [["c-ada"]] * 3})


def parts(session: boto3.Session, settings: Settings) -> tuple[DynamoFailureLog, SqsDeadLetters]:
    failures = DynamoFailureLog(session.client("dynamodb"), settings.incidents_table)
    queues = {"ingest": settings.ingest_queue, "dispatch": settings.dispatch_queue}
    return failures, SqsDeadLetters(session.client("sqs"), queues, failures)


def dead_letter(session: boto3.Session, queue: str, body: str) -> str:
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"]
    return str(sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"])


def visible(session: boto3.Session, queue: str) -> int:
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_the_last_failure_of_each_message_is_kept(
    resources: boto3.Session, settings: Settings
) -> None:
    failures, _ = parts(resources, settings)
    failures.record(Failure("tocsin-ingest", "m-1", "first", 1, NOW))
    failures.record(Failure("tocsin-ingest", "m-1", "second", 2, NOW + timedelta(minutes=1)))
    found = failures.find(["m-1", "m-unknown"])
    assert found == {
        "m-1": Failure("tocsin-ingest", "m-1", "second", 2, NOW + timedelta(minutes=1))
    }


def test_show_lists_each_dead_letter_with_why_and_leaves_them_in_place(
    resources: boto3.Session, settings: Settings
) -> None:
    failures, letters = parts(resources, settings)
    first = dead_letter(resources, settings.ingest_queue, EVENT)
    second = dead_letter(resources, settings.ingest_queue, '{"phone": "+12025550101"}')
    failures.record(
        Failure(settings.ingest_queue, first, "ClientError: boom (tried 5 times)", 5, NOW)
    )

    shown = letters.show("ingest")
    assert (shown.queue, shown.dead_letter_queue, shown.approximate_count) == (
        settings.ingest_queue,
        f"{settings.ingest_queue}-dlq",
        2,
    )
    by_id = {letter.message_id: letter for letter in shown.letters}
    assert by_id[first].holds == "event evt_01M84STVCFS7F5J06PS8A3D6CA"
    assert by_id[first].failure is not None
    assert by_id[first].failure.reason == "ClientError: boom (tried 5 times)"
    assert by_id[second].holds == "a message Tocsin does not read"  # never its content
    assert by_id[second].failure is None
    assert visible(resources, f"{settings.ingest_queue}-dlq") == 2  # still there, visible
    assert {letter.message_id for letter in letters.show("ingest").letters} == {first, second}


def test_show_finds_more_than_one_receive_returns(
    resources: boto3.Session, settings: Settings
) -> None:
    _, letters = parts(resources, settings)
    sent = {dead_letter(resources, settings.dispatch_queue, JOBS) for _ in range(23)}
    assert {letter.message_id for letter in letters.show("dispatch").letters} == sent
    assert len(letters.show("dispatch", limit=5).letters) == 5


def test_redrive_sends_every_dead_letter_back_to_its_queue(
    resources: boto3.Session, settings: Settings
) -> None:
    _, letters = parts(resources, settings)
    for _ in range(13):
        dead_letter(resources, settings.ingest_queue, EVENT)
    assert letters.redrive("ingest") == 13
    assert visible(resources, f"{settings.ingest_queue}-dlq") == 0
    assert visible(resources, settings.ingest_queue) == 13
    assert letters.redrive("ingest") == 0


def test_an_unknown_queue_is_refused_saying_which_exist(
    resources: boto3.Session, settings: Settings
) -> None:
    _, letters = parts(resources, settings)
    with pytest.raises(NotFound, match="the queues are ingest, dispatch"):
        letters.show("evaluate")


@pytest.mark.parametrize(
    ("body", "holds"),
    [
        (EVENT, "event evt_01M84STVCFS7F5J06PS8A3D6CA"),
        (JOBS, "incident inc_01M84STVCFS7F5J06PS8A3D6CA, 3 job(s)"),
        ("not json at all", "a message that is not JSON"),
        ('["+12025550101"]', "a message Tocsin does not read"),
    ],
)
def test_a_dead_letter_is_described_by_ids_only(body: str, holds: str) -> None:
    assert describe(body) == holds
