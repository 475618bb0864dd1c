"""Watching the watcher, deployed: what the heartbeat and canary ticks may do, and the alarms
that count their log lines.

The alarms are a second path: CloudWatch reads the ticks' logs and tells the operations topic
itself, so a canary channel that fails silently is reported even if Tocsin's own notices do
not get through. Each canary channel has its own alarm (``tocsin-<stage>-canary-<channel>``),
so the alarm's name says which channel failed; heartbeats share one
(``tocsin-<stage>-heartbeat-missed``: the incident names the heartbeat). The hourly check of
the playbook's Slack, Teams and Mastodon outlets has one too
(``tocsin-<stage>-social-channel-failing``: its log line names the outlet).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.core.statements.channel_checks import SOCIAL_CHECKED
from chalicelib.core.watch.metric_lines import CANARY_CHECKED, HEARTBEAT_MISSED
from chalicelib.storage.tables import CONFIG, CONTACTS, INCIDENTS, TableDefinition

HEARTBEATS_FUNCTION = "check_heartbeats"
CANARIES_FUNCTION = "run_canaries"
SOCIAL_FUNCTION = "check_social_channels"
# The Chalice function names (app.py) and their logical ids in the generated template.
WATCH_LOGICAL_IDS = {
    HEARTBEATS_FUNCTION: "CheckHeartbeats",
    CANARIES_FUNCTION: "RunCanaries",
    SOCIAL_FUNCTION: "CheckSocialChannels",
}
# The secrets audiences name for Slack, Teams and Mastodon: their names start with tocsin/
# (policies validate says so), and only the API (which publishes) and the check read them.
SOCIAL_SECRET_PREFIX = "tocsin/"  # noqa: S105 - a name prefix, not a secret
SOCIAL_METRIC = "SocialChannelsFailing"
SOCIAL_ALARM_PERIOD = Duration.hours(1)
CANARY_CHANNELS = ("sms", "email", "voice")  # those whose AWS service reports deliveries
NAMESPACE = "Tocsin"
CANARY_METRIC = "CanaryReceiptsMissing"
HEARTBEAT_METRIC = "HeartbeatsMissed"
# A round every hour (the example) lands one data point an hour: the alarm is in ALARM for the
# period that holds a failed round, and tells the operations topic once per failed round.
CANARY_ALARM_PERIOD = Duration.minutes(10)
HEARTBEAT_ALARM_PERIOD = Duration.minutes(5)


def grant_watching(
    roles: Mapping[str, iam.Role],
    tables: Mapping[TableDefinition, dynamodb.Table],
    ingest: sqs.Queue,
    dispatch: sqs.Queue,
    operations: sns.Topic,
) -> None:
    config, contacts, incidents = (tables[t] for t in (CONFIG, CONTACTS, INCIDENTS))
    heartbeats, canaries = roles[HEARTBEATS_FUNCTION], roles[CANARIES_FUNCTION]
    for role in (heartbeats, canaries):
        # The playbook's heartbeats and canaries; their events recorded (PutItem, DeleteItem
        # when the queue refuses them) and queued for the activation rules.
        config.grant(role, "dynamodb:GetItem", "dynamodb:Query")
        ingest.grant_send_messages(role)
    # Heartbeat state (read together, written by conditional UpdateItem), and the decision on
    # a heartbeat.missed event (GetItem) before its resolve is sent.
    incidents.grant(
        heartbeats,
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    )
    # Canary rounds and state (Query, GetItem, PutItem, UpdateItem), each round's test
    # incident: created with its timeline (PutItem), read (GetItem, Query), closed (UpdateItem,
    # and DeleteItem on its dedup pointer); the canary contacts; jobs for the dispatcher; what
    # it tells the operations topic.
    incidents.grant(
        canaries,
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    )
    contacts.grant(canaries, "dynamodb:BatchGetItem")
    dispatch.grant_send_messages(canaries)
    operations.grant_publish(canaries)
    # The social check reads the playbook's audiences (its secrets are granted by the stack).
    config.grant(roles[SOCIAL_FUNCTION], "dynamodb:GetItem", "dynamodb:Query")


def read_social_secrets(role: iam.IRole, secrets_arn: str) -> None:
    """``secrets_arn``: the ARN of the secrets named ``tocsin/*`` in this account and Region."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ReadSocialChannelSecrets",
            actions=["secretsmanager:GetSecretValue"],
            resources=[secrets_arn],
        )
    )


def add_watch_alarms(
    scope: Construct,
    prefix: str,
    stage: str,
    log_groups: Mapping[str, logs.LogGroup],
    action: cloudwatch_actions.SnsAction,
) -> None:
    """One metric from each tick's log lines, with the stage as a dimension (two stages in an
    account never share an alarm), and the alarms on them."""
    logs.MetricFilter(
        scope,
        "CanaryReceiptsMissingFilter",
        log_group=log_groups[CANARIES_FUNCTION],
        filter_pattern=logs.FilterPattern.string_value("$.message", "=", CANARY_CHECKED),
        metric_namespace=NAMESPACE,
        metric_name=CANARY_METRIC,
        metric_value="$.missing",
        dimensions={"Stage": "$.stage", "Channel": "$.channel"},
    )
    for channel in CANARY_CHANNELS:
        cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=CANARY_METRIC,
            dimensions_map={"Stage": stage, "Channel": channel},
            period=CANARY_ALARM_PERIOD,
            statistic="Maximum",
        ).create_alarm(
            scope,
            f"Canary{channel.title()}Alarm",
            alarm_name=f"{prefix}-canary-{channel}",
            alarm_description=f"A canary's {channel} message came back with no delivery receipt "
            f"in time: people paged by {channel} may not be reached (the canary.failed incident "
            "and the round's timeline say more)",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(action)
    logs.MetricFilter(
        scope,
        "HeartbeatsMissedFilter",
        log_group=log_groups[HEARTBEATS_FUNCTION],
        filter_pattern=logs.FilterPattern.string_value("$.message", "=", HEARTBEAT_MISSED),
        metric_namespace=NAMESPACE,
        metric_name=HEARTBEAT_METRIC,
        metric_value="$.missed",
        dimensions={"Stage": "$.stage"},
    )
    cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=HEARTBEAT_METRIC,
        dimensions_map={"Stage": stage},
        period=HEARTBEAT_ALARM_PERIOD,
        statistic="Sum",
    ).create_alarm(
        scope,
        "HeartbeatMissedAlarm",
        alarm_name=f"{prefix}-heartbeat-missed",
        alarm_description="A tool that should ping Tocsin went quiet (its heartbeat.missed "
        "incident names it; tocsin heartbeats list shows them all)",
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    ).add_alarm_action(action)
    logs.MetricFilter(
        scope,
        "SocialChannelsFailingFilter",
        log_group=log_groups[SOCIAL_FUNCTION],
        filter_pattern=logs.FilterPattern.string_value("$.message", "=", SOCIAL_CHECKED),
        metric_namespace=NAMESPACE,
        metric_name=SOCIAL_METRIC,
        metric_value="$.failing",
        dimensions={"Stage": "$.stage"},
    )
    cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=SOCIAL_METRIC,
        dimensions_map={"Stage": stage},
        period=SOCIAL_ALARM_PERIOD,
        statistic="Maximum",
    ).create_alarm(
        scope,
        "SocialChannelFailingAlarm",
        alarm_name=f"{prefix}-social-channel-failing",
        alarm_description="A Slack, Teams or Mastodon channel of the playbook stopped working "
        "(a revoked token, a missing secret, an unreachable instance): statements published "
        "now would not reach it. tocsin channels check names it",
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    ).add_alarm_action(action)
