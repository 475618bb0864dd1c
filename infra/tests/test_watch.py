"""Watching the watcher, deployed (issue 24): the canary and heartbeat ticks get what they need
and no more, and their log lines become metrics whose alarms tell the operations topic.

The metric filters read the log lines ``chalicelib/handlers/watch.py`` writes, by the same
constants (``chalicelib/core/watch/metric_lines.py``); ``tests/e2e/test_canaries.py`` checks
that those lines carry the fields read here.
CloudWatch Logs metric filters with dimensions, and alarms on them:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringPolicyExamples.html
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.statements.channel_checks import SOCIAL_CHECKED
from chalicelib.core.watch.metric_lines import CANARY_CHECKED, HEARTBEAT_MISSED
from tests.conftest import Synthesis

CHANNELS = ("sms", "email", "voice")


def named(synthesis: Synthesis, kind: str, key: str, value: str) -> tuple[str, dict[str, Any]]:
    [found] = [
        (name, resource)
        for name, resource in synthesis.resources(kind).items()
        if resource["Properties"].get(key) == value
    ]
    return found


def log_group_of(synthesis: Synthesis, function: str) -> str:
    name, _ = named(
        synthesis, "AWS::Logs::LogGroup", "LogGroupName", f"/aws/lambda/tocsin-test-{function}"
    )
    return name


def policy_statements(synthesis: Synthesis, function: str) -> list[dict[str, Any]]:
    functions = synthesis.resources("AWS::Serverless::Function")
    [role] = [
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in functions.values()
        if f["Properties"]["FunctionName"] == f"tocsin-test-{function}"
    ]
    return [
        statement
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_on(statements: list[dict[str, Any]], resource: str) -> set[str]:
    """Every action granted on a resource whose logical name starts with ``resource``."""
    found: set[str] = set()
    for statement in statements:
        targets = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if any(resource in str(target) for target in targets):
            actions = statement["Action"]
            found |= set(actions if isinstance(actions, list) else [actions])
    return found


def test_each_canary_channel_has_an_alarm_on_missing_receipts_that_tells_operations(
    synthesis: Synthesis,
) -> None:
    _, metric_filter = named(
        synthesis,
        "AWS::Logs::MetricFilter",
        "LogGroupName",
        {"Ref": log_group_of(synthesis, "run_canaries")},  # type: ignore[arg-type]
    )
    properties = metric_filter["Properties"]
    assert properties["FilterPattern"] == f'{{ $.message = "{CANARY_CHECKED}" }}'
    [transformation] = properties["MetricTransformations"]
    assert transformation["MetricNamespace"] == "Tocsin"
    assert transformation["MetricName"] == "CanaryReceiptsMissing"
    assert transformation["MetricValue"] == "$.missing"
    assert {d["Key"]: d["Value"] for d in transformation["Dimensions"]} == {
        "Stage": "$.stage",
        "Channel": "$.channel",
    }
    for channel in CHANNELS:
        _, alarm = named(
            synthesis, "AWS::CloudWatch::Alarm", "AlarmName", f"tocsin-test-canary-{channel}"
        )
        alarm = alarm["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
            "Tocsin",
            "CanaryReceiptsMissing",
            "Maximum",
        )
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
            "Stage": "test",
            "Channel": channel,
        }
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == (
            "GreaterThanOrEqualToThreshold"
        )
        assert alarm["TreatMissingData"] == "notBreaching"
        [action] = alarm["AlarmActions"]
        assert action["Ref"].startswith("OperationsTopic")


def test_a_missed_heartbeat_has_an_alarm_too(synthesis: Synthesis) -> None:
    _, metric_filter = named(
        synthesis,
        "AWS::Logs::MetricFilter",
        "LogGroupName",
        {"Ref": log_group_of(synthesis, "check_heartbeats")},  # type: ignore[arg-type]
    )
    assert metric_filter["Properties"]["FilterPattern"] == (
        f'{{ $.message = "{HEARTBEAT_MISSED}" }}'
    )
    _, alarm = named(
        synthesis, "AWS::CloudWatch::Alarm", "AlarmName", "tocsin-test-heartbeat-missed"
    )
    assert alarm["Properties"]["MetricName"] == "HeartbeatsMissed"
    assert alarm["Properties"]["AlarmActions"][0]["Ref"].startswith("OperationsTopic")


def test_the_canary_tick_may_tell_the_operations_topic_and_queue_jobs_and_no_more(
    synthesis: Synthesis,
) -> None:
    statements = policy_statements(synthesis, "run_canaries")
    assert actions_on(statements, "OperationsTopic") == {"sns:Publish"}
    assert actions_on(statements, "StakeholdersTopic") == set()
    assert "sqs:SendMessage" in actions_on(statements, "DispatchQueue")
    assert actions_on(statements, "ContactsTable") == {"dynamodb:BatchGetItem"}
    assert actions_on(statements, "IncidentsTable") == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert all("Scan" not in a for s in statements for a in str(s["Action"]).split(","))


def test_the_heartbeat_tick_sends_no_messages_and_reads_no_contacts(synthesis: Synthesis) -> None:
    statements = policy_statements(synthesis, "check_heartbeats")
    assert actions_on(statements, "DispatchQueue") == set()
    assert actions_on(statements, "OperationsTopic") == set()
    assert actions_on(statements, "ContactsTable") == set()
    assert "sqs:SendMessage" in actions_on(statements, "IngestQueue")
    assert "dynamodb:BatchGetItem" in actions_on(statements, "IncidentsTable")


def test_the_functions_know_the_operations_topic(synthesis: Synthesis) -> None:
    [topic] = [
        name
        for name, resource in synthesis.resources("AWS::SNS::Topic").items()
        if resource["Properties"]["TopicName"] == "tocsin-test-operations"
    ]
    for function in synthesis.resources("AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["TOCSIN_OPERATIONS_TOPIC_ARN"] == {"Ref": topic}


def test_a_failing_social_channel_has_an_alarm_that_tells_operations(synthesis: Synthesis) -> None:
    _, metric_filter = named(
        synthesis,
        "AWS::Logs::MetricFilter",
        "LogGroupName",
        {"Ref": log_group_of(synthesis, "check_social_channels")},  # type: ignore[arg-type]
    )
    assert metric_filter["Properties"]["FilterPattern"] == f'{{ $.message = "{SOCIAL_CHECKED}" }}'
    transformation = metric_filter["Properties"]["MetricTransformations"][0]
    assert transformation["MetricValue"] == "$.failing"
    _, alarm = named(
        synthesis, "AWS::CloudWatch::Alarm", "AlarmName", "tocsin-test-social-channel-failing"
    )
    assert alarm["Properties"]["MetricName"] == "SocialChannelsFailing"
    assert alarm["Properties"]["AlarmActions"][0]["Ref"].startswith("OperationsTopic")


def test_only_the_api_and_the_social_check_read_the_social_secrets(synthesis: Synthesis) -> None:
    def secret_actions(function: str) -> set[str]:
        with_resources = [s for s in policy_statements(synthesis, function) if "Resource" in s]
        return actions_on(with_resources, ":secret:tocsin/*")

    for function in ("api_handler", "check_social_channels"):
        assert secret_actions(function) == {"secretsmanager:GetSecretValue"}
    for function in ("dispatch_notifications", "run_canaries", "check_heartbeats"):
        assert secret_actions(function) == set()
    checks = policy_statements(synthesis, "check_social_channels")
    assert actions_on(checks, "DispatchQueue") == set()
    assert actions_on(checks, "OperationsTopic") == set()


def test_the_escalation_tick_may_queue_held_events_to_be_decided_and_read_no_queue(
    synthesis: Synthesis,
) -> None:
    """Events held outside hours are queued on the ingest queue by the minute tick once their
    window opens (issue #26): it may send there, never receive."""
    statements = policy_statements(synthesis, "escalate_due_incidents")
    assert "sqs:SendMessage" in actions_on(statements, "IngestQueue")
    assert "sqs:ReceiveMessage" not in actions_on(statements, "IngestQueue")
