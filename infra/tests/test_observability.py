"""The dashboard shows every figure the functions publish, and no alarm depends on the text of a
log line, except the gauge lines written for a metric filter under a name both sides share."""

from __future__ import annotations

import json
from typing import Any

from tocsin_infra import spending, watch

from chalicelib.core.statements.channel_checks import SOCIAL_CHECKED
from chalicelib.core.telemetry import FIGURES, NAMESPACE, SERVICE
from chalicelib.core.watch.metric_lines import CANARY_CHECKED, HEARTBEAT_MISSED
from chalicelib.observability import EmfMeter
from tests.conftest import Synthesis

ALARMS_ON_TOCSIN_METRICS = {
    "tocsin-test-messages-failed": ("MessagesFailed", "Sum", 1),
    "tocsin-test-first-send-slow": ("TimeToFirstSend", "Maximum", 120),
    "tocsin-test-escalation-exhausted": ("EscalationsExhausted", "Sum", 1),
}


def dashboard_body(synthesis: Synthesis) -> dict[str, Any]:
    """The dashboard's JSON, with the template's references (the Region) filled in."""
    [dashboard] = synthesis.resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "tocsin-test"
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "us-east-1" for part in parts)
    return dict(json.loads(text))


def shown(body: dict[str, Any]) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """(metric name, dimensions) of every Tocsin metric on the dashboard."""
    found = set()
    for widget in body["widgets"]:
        for row in widget.get("properties", {}).get("metrics", []):
            namespace, name, *rest = [cell for cell in row if not isinstance(cell, dict)]
            if namespace == NAMESPACE:
                found.add((name, frozenset(zip(rest[::2], rest[1::2], strict=True))))
    return found


def test_the_dashboard_shows_every_figure_by_the_dimensions_the_functions_publish(
    synthesis: Synthesis,
) -> None:
    graphs = shown(dashboard_body(synthesis))
    base = {("service", SERVICE), ("stage", "test")}
    for figure in FIGURES:
        if figure.dimension:
            for value in figure.values:
                assert (figure.name, frozenset({*base, (figure.dimension, value)})) in graphs
        else:
            assert (figure.name, frozenset(base)) in graphs
    # Nothing on it that the functions do not publish.
    assert {name for name, _ in graphs} == {figure.name for figure in FIGURES}


def test_the_dashboard_and_the_functions_agree_on_every_metric_identity(
    synthesis: Synthesis, capsys: Any
) -> None:
    """What EMF lines declare (namespace, name, dimension sets) is what the dashboard reads."""
    meter = EmfMeter()
    for figure in FIGURES:
        for value in figure.values or (None,):
            meter.record(figure, 1, value)
    meter.flush("test")
    published = set()
    for line in capsys.readouterr().out.splitlines():
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        for names in directive["Dimensions"]:
            dimensions = frozenset((name, document[name]) for name in names)
            published |= {(metric["Name"], dimensions) for metric in directive["Metrics"]}
    assert shown(dashboard_body(synthesis)) <= published


def watched(properties: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, metric name) of every metric an alarm reads, plain or through metric math."""
    if "Metrics" not in properties:
        return [(properties["Namespace"], properties["MetricName"])]
    return [
        (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"])
        for query in properties["Metrics"]
        if "MetricStat" in query
    ]


# The ticks' gauge lines (written to be counted) and the metrics their filters
# make: the message each filter matches is the constant the handler logs.
GAUGES = {
    CANARY_CHECKED: watch.CANARY_METRIC,
    HEARTBEAT_MISSED: watch.HEARTBEAT_METRIC,
    SOCIAL_CHECKED: watch.SOCIAL_METRIC,
    spending.GAUGE_MESSAGE: spending.METRIC_NAME,
}


def test_no_alarm_depends_on_the_text_of_a_log_line_but_the_gauges_made_for_it(
    synthesis: Synthesis,
) -> None:
    for metric_filter in synthesis.resources("AWS::Logs::MetricFilter").values():
        properties = metric_filter["Properties"]
        [transformation] = properties["MetricTransformations"]
        matched = [m for m in GAUGES if f'$.message = "{m}"' in properties["FilterPattern"]]
        assert [GAUGES[m] for m in matched] == [transformation["MetricName"]], properties
    names = {figure.name for figure in FIGURES} | set(GAUGES.values())
    alarms = synthesis.resources("AWS::CloudWatch::Alarm").values()
    assert alarms
    for alarm in alarms:
        properties = alarm["Properties"]
        for namespace, metric in watched(properties):
            # AWS's own metrics, a figure the functions publish by name, or a gauge's.
            assert namespace.startswith("AWS/") or namespace == NAMESPACE, properties["AlarmName"]
            assert namespace != NAMESPACE or metric in names, properties["AlarmName"]


def test_alarms_on_tocsins_metrics_watch_this_stage_and_page_operations(
    synthesis: Synthesis,
) -> None:
    alarms = {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in synthesis.resources("AWS::CloudWatch::Alarm").values()
        if watched(r["Properties"])[0] in {(NAMESPACE, figure.name) for figure in FIGURES}
    }
    assert set(alarms) == set(ALARMS_ON_TOCSIN_METRICS)
    for name, (metric, statistic, threshold) in ALARMS_ON_TOCSIN_METRICS.items():
        alarm = alarms[name]
        assert (alarm["MetricName"], alarm["Statistic"], alarm["Threshold"]) == (
            metric,
            statistic,
            threshold,
        )
        # The total over channels: the dimension set the functions publish beside each channel.
        assert {(d["Name"], d["Value"]) for d in alarm["Dimensions"]} == {
            ("service", SERVICE),
            ("stage", "test"),
        }
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        [action] = alarm["AlarmActions"]
        assert action["Ref"].startswith("OperationsTopic")
