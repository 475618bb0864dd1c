"""Prometheus Alertmanager webhook (version 4), and Grafana's unified alerting, which sends the
same shape plus ``values``. One event per alert of the group; ``firing`` triggers, ``resolved``
resolves the same incident (the alert's fingerprint is the dedup key)."""

from __future__ import annotations

import math
from typing import Any

from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.common import (
    STATUS_OVERRIDE,
    TYPE_OVERRIDE,
    Document,
    IntegrationDefaults,
    event_labels,
    event_status,
    event_type,
    fingerprint,
    http_link,
    items,
    mapping,
    metric_name,
    string_map,
    summary,
    text,
    timestamp,
)

SEVERITIES = {
    "critical": "critical",
    "page": "critical",
    "emergency": "critical",
    "fatal": "critical",
    "high": "high",
    "error": "high",
    "major": "high",
    "warning": "medium",
    "warn": "medium",
    "medium": "medium",
    "average": "medium",
    "minor": "low",
    "low": "low",
    "info": "info",
    "informational": "info",
    "none": "info",
}


def from_alertmanager(
    payload: Any, defaults: IntegrationDefaults, tool: str = "alertmanager"
) -> list[Document]:
    body = mapping(payload, "$")
    alerts = items(body.get("alerts"), "alerts")
    if not alerts:
        raise InvalidEvent("alerts", "must list at least one alert")
    group_status = body.get("status")
    return [
        _alert(body, alert, f"alerts[{index}]", group_status, defaults, tool)
        for index, alert in enumerate(alerts)
    ]


def _alert(
    body: Any, raw: Any, path: str, group_status: Any, defaults: IntegrationDefaults, tool: str
) -> Document:
    alert = mapping(raw, path)
    labels = string_map(alert.get("labels"), f"{path}.labels")
    annotations = string_map(alert.get("annotations"), f"{path}.annotations")
    status = alert.get("status", group_status)
    if status not in ("firing", "resolved"):
        raise InvalidEvent(f"{path}.status", "must be 'firing' or 'resolved'")
    key = text(alert.get("fingerprint"), f"{path}.fingerprint") or fingerprint(labels)
    document: Document = {
        "source": defaults.source or f"{tool}:{labels.get('job') or body.get('receiver') or tool}",
        "type": event_type(labels.get(TYPE_OVERRIDE), defaults),
        "action": "trigger" if status == "firing" else "resolve",
        "severity": SEVERITIES.get(labels.get("severity", "").lower(), "medium"),
        "status": event_status(labels.get(STATUS_OVERRIDE)),
        "summary": summary(
            annotations.get("summary"),
            annotations.get("message"),
            annotations.get("description"),
            labels.get("alertname"),
        ),
        "details": {
            "labels": labels,
            "annotations": annotations,
            "receiver": body.get("receiver"),
            "group_key": body.get("groupKey"),
        },
        "dedup_key": f"{tool}:{key}",
        "links": http_link(alert.get("generatorURL"), "source")
        + http_link(annotations.get("runbook_url"), "runbook"),
        "occurred_at": timestamp(alert.get("startsAt"), f"{path}.startsAt"),
        "metrics": _values(alert.get("values"), f"{path}.values"),
        "labels": event_labels(labels),
    }
    return document


def _values(raw: Any, path: str) -> dict[str, float]:
    """Grafana's query results (``{"B": 44.2}``) become metrics that rules can compare."""
    metrics = {}
    for name, value in mapping(raw, path, required=False).items():
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            metrics[metric_name(str(name))] = float(value)
    return metrics
