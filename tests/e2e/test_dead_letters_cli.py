"""The operator's story at 3 a.m.: an event cannot be decided (DynamoDB refuses its
transaction), ends ``failed`` and in the dead-letter queue; ``tocsin dlq show`` says which and
why; after the fix ``tocsin dlq redrive`` sends it back, and it is decided."""

from __future__ import annotations

import io

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from local.runner import QueueRunner
from tests.aws_faults import AwsFaults
from tests.e2e.conftest import Api, sent_sms, use_container
from tests.e2e.test_bad_input import GOOD
from tocsin_cli.main import main


def tocsin(world: boto3.Session, settings: Settings, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, services=Container(settings, world))
    return code, out.getvalue()


def test_a_failed_event_is_shown_with_why_then_redriven_and_decided(
    api: Api, client: Client, world: boto3.Session, settings: Settings
) -> None:
    faults = AwsFaults(world).fail(
        "dynamodb", "TransactWriteItems", "ValidationException", "One or more parameter values"
    )
    event_id = api.post_event(GOOD).json_body["event_id"]  # recorded before the fault
    use_container(session=faults.session)
    runner = QueueRunner(app, client.lambda_.invoke, session=world, retry_delay=0)
    runner.drain()
    assert api.get(f"/v1/events/{event_id}").json_body["status"] == "failed"

    code, shown = tocsin(world, settings, "dlq", "show")
    assert code == 1  # something to look at
    assert f"{settings.ingest_queue}-dlq: 1 message(s)" in shown
    assert f"event {event_id}" in shown
    assert "(try 5)" in shown
    assert (
        "why: ClientError: An error occurred (ValidationException) when calling the "
        "TransactWriteItems operation: One or more parameter values (tried 5 times)"
    ) in shown
    assert f"{settings.dispatch_queue}-dlq: empty" in shown

    faults.heal("dynamodb", "TransactWriteItems")  # the fix
    code, redriven = tocsin(world, settings, "dlq", "redrive", "ingest")
    assert code == 0
    assert f"{settings.ingest_queue}-dlq -> {settings.ingest_queue}: 1 message(s) sent back" in (
        redriven
    )
    runner.drain()
    decision = api.get(f"/v1/events/{event_id}").json_body
    assert decision["status"] == "activated", decision
    assert len(sent_sms(world)) == 3  # breach-response (1,200 affected), paged after all
    assert tocsin(world, settings, "dlq", "show")[0] == 0


def test_showing_a_queue_that_is_not_there_says_so(
    world: boto3.Session, settings: Settings
) -> None:
    world.client("sqs").delete_queue(
        QueueUrl=world.client("sqs").get_queue_url(QueueName=f"{settings.dispatch_queue}-dlq")[
            "QueueUrl"
        ]
    )
    err = io.StringIO()
    code = main(
        ["dlq", "show", "dispatch"],
        out=io.StringIO(),
        services=Container(settings, world),
        err=err,
    )
    assert code == 2
    assert f"no queue {settings.dispatch_queue}-dlq (is this the right stage?)" in err.getvalue()


def test_a_reason_never_keeps_personal_data(
    client: Client, world: boto3.Session, settings: Settings
) -> None:
    """The error of a message that cannot be read quotes the value it choked on: a phone
    number here. The reason kept for ``tocsin dlq show`` has it masked."""
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.ingest_queue)["QueueUrl"]
    body = '{"event_id": "evt_1", "received_at": "+12025550101", "event": {}}'
    sqs.send_message(QueueUrl=url, MessageBody=body)
    QueueRunner(app, client.lambda_.invoke, session=world, retry_delay=0).drain()

    code, shown = tocsin(world, settings, "dlq", "show", "ingest")
    assert code == 1
    assert "why: ValueError: Invalid isoformat string: '<phone>' (tried 5 times)" in shown
    assert "event evt_1" in shown
    stored = world.client("dynamodb").scan(TableName=settings.incidents_table)["Items"]
    assert "+12025550101" not in str(stored) and "2025550101" not in shown


def test_an_unknown_queue_name_is_refused_naming_the_choices(
    world: boto3.Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        tocsin(world, settings, "dlq", "redrive", "evaluate")
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert "invalid choice: 'evaluate' (choose from 'ingest', 'dispatch')" in said
