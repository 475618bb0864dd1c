"""Grafana alerting webhooks: unified alerting (Grafana 8+, Alertmanager-shaped with ``values``)
and the legacy dashboard alerts (``state`` / ``ruleId`` / ``evalMatches``)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.alertmanager import from_alertmanager
from chalicelib.integrations.common import (
    STATUS_OVERRIDE,
    TYPE_OVERRIDE,
    Document,
    IntegrationDefaults,
    event_labels,
    event_status,
    event_type,
    http_link,
    items,
    mapping,
    metric_name,
    string_map,
    summary,
    text,
)

# Legacy states: what each means for the incident; the others are refused as not alerts.
LEGACY_ACTIONS = {"alerting": "trigger", "no_data": "trigger", "ok": "resolve"}


def from_grafana(payload: Any, defaults: IntegrationDefaults) -> list[Document]:
    body = mapping(payload, "$")
    if "alerts" in body:
        return from_alertmanager(body, defaults, tool="grafana")
    return [_legacy(body, defaults)]


def _legacy(body: Any, defaults: IntegrationDefaults) -> Document:
    state = text(body.get("state"), "state", required=True)
    if state not in LEGACY_ACTIONS:
        raise InvalidEvent("state", f"must be one of {', '.join(LEGACY_ACTIONS)}; got {state!r}")
    rule = body.get("ruleId")
    if not isinstance(rule, int | str) or isinstance(rule, bool):
        raise InvalidEvent("ruleId", "is required")
    tags = string_map(body.get("tags"), "tags")
    metrics = {}
    for index, raw in enumerate(items(body.get("evalMatches", []), "evalMatches")):
        match = mapping(raw, f"evalMatches[{index}]")
        value = match.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[metric_name(str(match.get("metric") or f"match_{index}"))] = float(value)
    return {
        "source": defaults.source or "grafana",
        "type": event_type(tags.get(TYPE_OVERRIDE), defaults),
        "action": LEGACY_ACTIONS[state],
        "severity": "high" if state == "alerting" else "medium",
        "status": event_status(tags.get(STATUS_OVERRIDE)),
        "summary": summary(
            text(body.get("title"), "title"),
            text(body.get("ruleName"), "ruleName"),
            text(body.get("message"), "message"),
        ),
        "details": {
            "rule_name": body.get("ruleName"),
            "message": body.get("message"),
            "state": state,
            "tags": tags,
        },
        "dedup_key": f"grafana:rule:{rule}",
        "links": http_link(body.get("ruleUrl"), "rule"),
        "metrics": metrics,
        "labels": event_labels(tags),
    }
