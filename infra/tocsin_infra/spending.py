"""The held-messages alarm (issue #20): it fires while any message waits past the budget.

The ``report_held_messages`` tick logs ``{"message": "held messages", "held_messages": N}``
every minute, nothing held included; a metric filter turns that into ``Tocsin/HeldMessages``,
and the alarm is in ALARM while the count is at least 1, back to OK once the last hold is
released or cancelled. A minute without a line keeps the alarm as it was (the tick's own errors
alarm says when it stops running), so a skipped tick neither raises nor clears it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from constructs import Construct

GAUGE_MESSAGE = "held messages"  # chalicelib/handlers/spending.py logs it
METRIC_NAMESPACE = "Tocsin"
METRIC_NAME = "HeldMessages"


def watch_held_messages(
    scope: Construct, log_group: logs.ILogGroup, action: cloudwatch_actions.SnsAction, prefix: str
) -> cloudwatch.Alarm:
    gauge = logs.MetricFilter(
        scope,
        "HeldMessagesFilter",
        log_group=log_group,
        filter_pattern=logs.FilterPattern.all(
            logs.FilterPattern.string_value("$.message", "=", GAUGE_MESSAGE),
            logs.FilterPattern.exists("$.held_messages"),
        ),
        metric_namespace=METRIC_NAMESPACE,
        metric_name=METRIC_NAME,
        metric_value="$.held_messages",
    )
    alarm = gauge.metric(period=Duration.minutes(1), statistic="Maximum").create_alarm(
        scope,
        "HeldMessagesAlarm",
        alarm_name=f"{prefix}-held-messages",
        alarm_description="Messages are held past the message budget, waiting for a person of "
        "the release role: tocsin holds list, then release or cancel",
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
    )
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
