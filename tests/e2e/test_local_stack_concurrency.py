"""The local stack under concurrent requests, as a load test or a few integrators at once would
send them. moto's server is threaded and its DynamoDB is not safe across threads: writing while
``transact_write_items`` iterated a table raised ``RuntimeError: dictionary changed size during
iteration`` and answered 500. The AWS stand-in serialises DynamoDB's requests; nothing fails."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.stack import LOG_DIR, LocalStack, free_port
from tests.conftest import LOCAL_KEY

pytestmark = pytest.mark.stack

THREADS = 12
ROUNDS = 30


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def dynamodb(stack: LocalStack) -> Any:
    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    # No retries: a 500 from the stand-in must show here, not be retried away.
    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=THREADS)
    return session.client("dynamodb", endpoint_url=stack.aws_url, config=config)


def test_concurrent_transactions_and_reads_all_succeed(stack: LocalStack) -> None:
    client = dynamodb(stack)
    table = "tocsin-incidents"
    failures: list[str] = []

    def hammer(worker: int) -> None:
        for round_ in range(ROUNDS):
            key = f"LOADTEST#{worker}"
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": key}, "sk": {"S": f"R#{round_:03d}"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": key}, "sk": {"S": "COUNT"}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}},
                            }
                        },
                    ]
                )
                client.query(
                    TableName=table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": key}},
                )
                if round_ % 10 == 0:
                    client.scan(TableName=table, Limit=50)
            except Exception as error:  # every failure is the finding
                failures.append(f"worker {worker} round {round_}: {error}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(hammer, range(THREADS)))

    assert failures == []
    counts = [
        client.get_item(TableName=table, Key={"pk": {"S": f"LOADTEST#{w}"}, "sk": {"S": "COUNT"}})
        for w in range(THREADS)
    ]
    assert [int(c["Item"]["n"]["N"]) for c in counts] == [ROUNDS] * THREADS
    log = (LOG_DIR / f"aws-{stack.api_port}.log").read_text(errors="replace")
    assert "dictionary changed size during iteration" not in log
    assert "Traceback" not in log


def test_concurrent_crises_over_http_are_all_accepted_and_decided(stack: LocalStack) -> None:
    """The whole stack at once: the API, the runner's handlers and the stand-in, each with its
    own threads. (The app's clients retry a 500, which hid the race here; the test above is
    the one that caught it.)"""

    def post(index: int) -> tuple[int, str]:
        event = {
            "source": "load-test",
            "type": "it.outage",
            "severity": "low",
            "summary": f"Service {index} slow",
            "dedup_key": f"load-{index}",
        }
        request = urllib.request.Request(
            f"{stack.api_url}/v1/events",
            data=json.dumps(event).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)["event_id"]
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(40)))
    assert [status for status, _ in answers] == [202] * 40, answers

    pending = {event_id for _, event_id in answers}
    deadline = time.monotonic() + 90
    while pending and time.monotonic() < deadline:
        for event_id in sorted(pending):
            request = urllib.request.Request(
                f"{stack.api_url}/v1/events/{event_id}",
                headers={"Authorization": f"Bearer {LOCAL_KEY}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                if json.load(response)["status"] != "pending":
                    pending.discard(event_id)
        time.sleep(0.5)
    assert pending == set(), f"{len(pending)} event(s) never decided"
    for name in ("aws", "api", "runner"):
        log = (LOG_DIR / f"{name}-{stack.api_port}.log").read_text(errors="replace")
        assert "dictionary changed size during iteration" not in log, name
