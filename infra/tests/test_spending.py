"""The held-messages alarm (issue #20): fed by the gauge tick's log line, firing at one held
message, and the least the gauge and the dispatcher need to hold messages and page."""

from __future__ import annotations

from typing import Any

from tocsin_infra.spending import GAUGE_MESSAGE, METRIC_NAME, METRIC_NAMESPACE

from tests.conftest import Synthesis


def _alarm(synthesis: Synthesis) -> dict[str, Any]:
    [alarm] = [
        a["Properties"]
        for a in synthesis.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"] == "tocsin-test-held-messages"
    ]
    return alarm


def test_the_alarm_fires_at_one_held_message_and_tells_operations_both_ways(
    synthesis: Synthesis,
) -> None:
    alarm = _alarm(synthesis)
    assert (alarm["Namespace"], alarm["MetricName"]) == (METRIC_NAMESPACE, METRIC_NAME)
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 60, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "ignore"  # a skipped tick neither raises nor clears it
    [fired] = alarm["AlarmActions"]
    [cleared] = alarm["OKActions"]
    assert fired["Ref"].startswith("OperationsTopic") and cleared == fired


def test_the_metric_comes_from_the_gauge_ticks_own_log_line(synthesis: Synthesis) -> None:
    from chalicelib.handlers import spending

    assert spending.GAUGE_MESSAGE == GAUGE_MESSAGE
    [held] = [
        f["Properties"]
        for f in synthesis.resources("AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == METRIC_NAME
    ]
    assert f'$.message = "{GAUGE_MESSAGE}"' in held["FilterPattern"]
    assert held["MetricTransformations"][0]["MetricValue"] == "$.held_messages"
    group = held["LogGroupName"]["Ref"]
    properties = synthesis.template["Resources"][group]["Properties"]
    assert properties["LogGroupName"] == "/aws/lambda/tocsin-test-report_held_messages"


def _actions(synthesis: Synthesis, role_prefix: str) -> dict[str, list[Any]]:
    """Every action the role's policies allow, with the resources each is allowed on."""
    found: dict[str, list[Any]] = {}
    for resource in synthesis.template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = [ref["Ref"] for ref in resource["Properties"]["Roles"]]
        if not any(role.startswith(role_prefix) for role in roles):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            for action in actions if isinstance(actions, list) else [actions]:
                found.setdefault(action, []).append(statement.get("Resource"))
    return found


def test_the_gauge_only_reads_and_the_dispatcher_may_queue_the_page(
    synthesis: Synthesis,
) -> None:
    gauge = _actions(synthesis, "ReportHeldMessages")
    assert {a for a in gauge if a.startswith("dynamodb:")} == {"dynamodb:Query"}
    senders = ("sns:", "ses:", "sms-voice:", "mobiletargeting:")
    assert not any(action.startswith(senders) for action in gauge)
    # Its only queue is its dead-letter queue, as for every asynchronous function.
    queues = {r["Fn::GetAtt"][0] for a, rs in gauge.items() if a.startswith("sqs:") for r in rs}
    assert len(queues) == 1 and queues.pop().startswith("AsyncDeadLetters")
    dispatch = _actions(synthesis, "DispatchNotifications")
    queues = [r["Fn::GetAtt"][0] for r in dispatch["sqs:SendMessage"]]
    assert any(queue.startswith("DispatchQueue") for queue in queues), queues
