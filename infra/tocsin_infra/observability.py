"""Tocsin's dashboard and its alarms on Tocsin's own metrics, never on the text of a log line.

The functions publish the figures of ``chalicelib/core/telemetry.py`` in CloudWatch's embedded
metric format (namespace ``Tocsin``, dimensions ``service`` and ``stage``, plus ``channel`` or
``outcome`` where a figure has one; each per-value figure is also published in total). Renaming
a log message cannot silence an alarm here: every alarm watches a metric a function publishes
by name, or one AWS publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.core.telemetry import (
    CHECKIN_REMINDERS,
    ESCALATIONS_EXHAUSTED,
    ESCALATIONS_FIRED,
    EVENTS_ACCEPTED,
    EVENTS_DECIDED,
    GATES_TIMED_OUT,
    MESSAGES_FAILED,
    MESSAGES_SENT,
    MESSAGES_THROTTLED,
    NAMESPACE,
    SERVICE,
    STAGE_DIMENSION,
    TIME_TO_ACKNOWLEDGE,
    TIME_TO_FIRST_SEND,
    Figure,
)

PERIOD = Duration.minutes(5)
FIRST_SEND_ALARM_SECONDS = 120  # the first alert of an incident must be out within two minutes


class Observability(Construct):
    """The dashboard and the alarms on Tocsin's metrics, alarming to ``alarm_topic``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: str,
        alarm_topic: sns.ITopic,
        functions: Mapping[str, str],
        queues: Mapping[str, sqs.IQueue],
    ) -> None:
        """``functions``: the Chalice name of each function and its deployed name; ``queues``:
        the work queues to watch."""
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.stage = stage
        self.alarms = self._alarms(cloudwatch_actions.SnsAction(alarm_topic))
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=prefix,
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Tocsin `{stage}`\nEvents in, decisions, messages out, and how fast "
                "people were reached and answered. Alarms go to the operations topic.",
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            self._graph(
                "Events accepted and decided",
                [self.metric(EVENTS_ACCEPTED), *self.per_value(EVENTS_DECIDED)],
            ),
            self._graph(
                "Messages handed to AWS, per channel", self.per_value(MESSAGES_SENT), stacked=True
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Messages failed, per channel", self.per_value(MESSAGES_FAILED), stacked=True
            ),
            self._graph(
                "Sends throttled by AWS (retried), per channel",
                self.per_value(MESSAGES_THROTTLED),
                stacked=True,
            ),
        )
        self.dashboard.add_widgets(
            self._graph("Time to first send (s)", self.spread(TIME_TO_FIRST_SEND)),
            self._graph("Time to acknowledge (s)", self.spread(TIME_TO_ACKNOWLEDGE)),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Escalations",
                [self.metric(ESCALATIONS_FIRED), self.metric(ESCALATIONS_EXHAUSTED)],
            ),
            self._graph(
                "Oldest message waiting (s)",
                [
                    queue.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic="Maximum", label=name
                    )
                    for name, queue in queues.items()
                ],
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Activations nobody approved in time (gate)", [self.metric(GATES_TIMED_OUT)]
            ),
            self._graph("People reminded of a check-in", [self.metric(CHECKIN_REMINDERS)]),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Function errors",
                [
                    cloudwatch.Metric(
                        namespace="AWS/Lambda",
                        metric_name="Errors",
                        dimensions_map={"FunctionName": deployed},
                        period=PERIOD,
                        statistic="Sum",
                        label=name,
                    )
                    for name, deployed in functions.items()
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms on Tocsin's metrics", alarms=self.alarms, width=12, height=6
            ),
        )

    def dimensions(self, figure: Figure, value: str | None = None) -> dict[str, str]:
        dimensions = {"service": SERVICE, STAGE_DIMENSION: self.stage}
        if value is not None and figure.dimension:
            dimensions[figure.dimension] = value
        return dimensions

    def metric(
        self, figure: Figure, statistic: str = "Sum", value: str | None = None
    ) -> cloudwatch.Metric:
        """``figure`` as the functions publish it: in total, or for one ``value``."""
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=figure.name,
            dimensions_map=self.dimensions(figure, value),
            period=PERIOD,
            statistic=statistic,
            label=value,  # a line per value; alarms take the plain metric (no label)
        )

    def per_value(self, figure: Figure) -> list[cloudwatch.IMetric]:
        return [self.metric(figure, value=value) for value in figure.values]

    def spread(self, figure: Figure) -> list[cloudwatch.IMetric]:
        return [
            self.metric(figure, statistic=statistic).with_(label=statistic)
            for statistic in ("p50", "p90", "Maximum")
        ]

    def _graph(
        self,
        title: str,
        metrics: Sequence[cloudwatch.IMetric],
        stacked: bool = False,
        width: int = 12,
    ) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=title, left=list(metrics), stacked=stacked, width=width, height=6
        )

    def _alarms(self, action: cloudwatch_actions.SnsAction) -> list[cloudwatch.Alarm]:
        above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        definitions = (
            (
                "MessagesFailed",
                "messages-failed",
                self.metric(MESSAGES_FAILED),
                1,
                "Notifications AWS refused or could not take (the incident's timeline says "
                "which and why; transient failures are retried)",
            ),
            (
                "FirstSendSlow",
                "first-send-slow",
                self.metric(TIME_TO_FIRST_SEND, statistic="Maximum"),
                FIRST_SEND_ALARM_SECONDS,
                f"An incident's first alert took {FIRST_SEND_ALARM_SECONDS} s or more to reach "
                "AWS (look at the queues' age, throttling and the functions' errors)",
            ),
            (
                "EscalationExhausted",
                "escalation-exhausted",
                self.metric(ESCALATIONS_EXHAUSTED),
                1,
                "An incident went through every escalation level and nobody acknowledged it",
            ),
        )
        alarms = []
        for logical_id, name, metric, threshold, description in definitions:
            alarm = metric.create_alarm(
                self,
                f"{logical_id}Alarm",
                alarm_name=f"{self.prefix}-{name}",
                alarm_description=description,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=above,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarms.append(alarm)
        return alarms
