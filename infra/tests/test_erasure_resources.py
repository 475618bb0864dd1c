"""Erasure in the deployment: its queue, a worker that may do only what a job does, and an API
that starts jobs but no longer scans the incidents table itself."""

from __future__ import annotations

from typing import Any

from tests.conftest import Synthesis


def role_actions(synthesis: Synthesis, logical_id: str) -> dict[str, set[str]]:
    """Each action the function's role is granted, and on which resources (as written)."""
    [role] = [
        name
        for name in synthesis.resources("AWS::IAM::Role")
        if name.startswith(f"{logical_id}Role")
    ]
    granted: dict[str, set[str]] = {}
    for resource in synthesis.resources("AWS::IAM::Policy").values():
        if {"Ref": role} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            for action in actions if isinstance(actions, list) else [actions]:
                resources = statement["Resource"]
                listed = resources if isinstance(resources, list) else [resources]
                granted.setdefault(action, set()).update(str(r) for r in listed)
    return granted


def test_the_erasure_queue_feeds_the_worker_with_dead_letters_watched(
    synthesis: Synthesis,
) -> None:
    queues = {
        r["Properties"]["QueueName"]: r["Properties"]
        for r in synthesis.resources("AWS::SQS::Queue").values()
    }
    assert "tocsin-test-erasure-dlq" in queues
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synthesis.resources("AWS::CloudWatch::Alarm").values()
    }
    alarm = alarms["tocsin-test-erasure-dead-letters"]
    assert "erase the person again" in alarm["AlarmDescription"]
    assert alarm["AlarmActions"]  # the operations topic
    [worker] = [
        f
        for f in synthesis.resources("AWS::Serverless::Function").values()
        if f["Properties"].get("FunctionName") == "tocsin-test-erase_contacts"
    ]
    [source] = worker["Properties"]["Events"].values()
    assert source["Properties"]["BatchSize"] == 1
    variables: dict[str, Any] = worker["Properties"]["Environment"]["Variables"]
    assert variables["TOCSIN_ERASURE_QUEUE"] == "tocsin-test-erasure"


def test_the_worker_may_scan_and_rewrite_records_and_the_api_may_only_start_jobs(
    synthesis: Synthesis,
) -> None:
    worker = role_actions(synthesis, "EraseContacts")
    assert {"dynamodb:Scan", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= (
        worker.keys()
    )
    assert "sqs:SendMessage" in worker and "sqs:ReceiveMessage" in worker
    assert not any(action.startswith(("sns:", "ses:", "sms-voice:")) for action in worker)
    # The config table too (keys, calendar links, overrides), but no new items in it.
    assert any("ConfigTable" in resource for resource in worker["dynamodb:Scan"])
    assert any("ConfigTable" in resource for resource in worker["dynamodb:DeleteItem"])
    assert not any("ConfigTable" in resource for resource in worker["dynamodb:PutItem"])
    # The contacts table: other people's profiles naming them as their lead.
    assert any("ContactsTable" in resource for resource in worker["dynamodb:Scan"])
    api = role_actions(synthesis, "APIHandler")
    assert "dynamodb:Scan" not in api  # no full-table scan inside a request any more
    assert "dynamodb:ConditionCheckItem" in api  # a save checks the person is not being erased
    assert any("Erasure" in resource for resource in api["sqs:SendMessage"])
