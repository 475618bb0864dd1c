"""AWS's own alarms and findings: EventBridge events (CloudWatch alarm state changes, GuardDuty,
Security Hub, AWS Health) and the classic CloudWatch alarm message delivered through SNS.

An alarm reaches the same dedup key (its ARN) whichever way it arrives, so ALARM through one path
and OK through the other still open and resolve one incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.json_text import UnreadableJson, read_json
from chalicelib.integrations.common import (
    Document,
    IntegrationDefaults,
    event_labels,
    items,
    mapping,
    summary,
    text,
    timestamp,
)

ALARM_TYPE = "it.alarm"
GUARDDUTY_TYPE = "cyber.threat_detection"
SECURITY_HUB_TYPE = "cyber.security_finding"
HEALTH_TYPE = "it.cloud_provider"
ALARM_ACTIONS = {"ALARM": "trigger", "OK": "resolve"}  # INSUFFICIENT_DATA changes nothing
HUB_SEVERITIES = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "INFORMATIONAL": "info",
}
HEALTH_SEVERITIES = {
    "issue": "high",
    "investigation": "high",
    "scheduledChange": "medium",
    "accountNotification": "info",
}

# The deployment names every alarm of its own "tocsin-<stage>-..." (infra/): those page
# operations through their own topic and must not come back in as Tocsin events, whatever stage.
OWN_ALARM_PREFIX = "tocsin-"

# The EventBridge rule: narrow, so the function does not wake for noise.
EVENT_PATTERN: dict[str, Any] = {
    "$or": [
        {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {
                "state": {"value": ["ALARM", "OK"]},
                "alarmName": [{"anything-but": {"prefix": OWN_ALARM_PREFIX}}],
            },
        },
        {
            "source": ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            "detail": {"severity": [{"numeric": [">=", 4]}]},
        },
        {
            "source": ["aws.securityhub"],
            "detail-type": [
                "Security Hub Findings - Imported",
                "Security Hub Findings - Custom Action",
            ],
            "detail": {"findings": {"Severity": {"Label": ["CRITICAL", "HIGH"]}}},
        },
        {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    ]
}


def from_eventbridge(event: Any, defaults: IntegrationDefaults) -> list[Document]:
    """Each document carries the account and region as labels, for rules and maintenance."""
    body = mapping(event, "$")
    labels = event_labels(
        {"aws_account": str(body.get("account") or ""), "aws_region": str(body.get("region") or "")}
    )
    return [{**document, "labels": labels} for document in _from_eventbridge(body)]


def _from_eventbridge(body: Mapping[str, Any]) -> list[Document]:
    kind = body.get("detail-type")
    detail = mapping(body.get("detail"), "detail")
    origin = f"{body.get('source')}:{body.get('account')}:{body.get('region')}"
    if kind == "CloudWatch Alarm State Change":
        return _alarm_state_change(body, detail, origin)
    if kind == "GuardDuty Finding":
        return [_guardduty(detail, origin)]
    if kind in ("Security Hub Findings - Imported", "Security Hub Findings - Custom Action"):
        return [
            _security_hub(
                finding, f"detail.findings[{index}]", origin, forced=kind.endswith("Custom Action")
            )
            for index, finding in enumerate(items(detail.get("findings"), "detail.findings"))
        ]
    if kind == "AWS Health Event":
        return [_health(body, detail, origin)]
    raise InvalidEvent("detail-type", f"{kind!r} is not an event Tocsin reads")


def from_sns_alarm(message: str, defaults: IntegrationDefaults) -> list[Document]:
    """The JSON a CloudWatch alarm publishes to an SNS topic."""
    try:
        alarm = mapping(read_json(message), "Message")
    except UnreadableJson as problem:
        raise InvalidEvent("Message", f"is not a CloudWatch alarm: it {problem}") from None
    state = text(alarm.get("NewStateValue"), "Message.NewStateValue", required=True)
    if state not in ALARM_ACTIONS:
        return []
    name = text(alarm.get("AlarmName"), "Message.AlarmName", required=True)
    arn = text(alarm.get("AlarmArn"), "Message.AlarmArn") or name
    trigger = mapping(alarm.get("Trigger"), "Message.Trigger", required=False)
    metrics = {}
    if isinstance(trigger.get("Threshold"), int | float):
        metrics["threshold"] = float(trigger["Threshold"])
    document: Document = {
        "source": f"aws.cloudwatch:{alarm.get('AWSAccountId')}:{alarm.get('Region')}",
        "type": ALARM_TYPE,
        "action": ALARM_ACTIONS[state],
        "severity": "high",
        "summary": summary(f"{name}: {alarm.get('NewStateReason') or state}"),
        "details": {
            "alarm": name,
            "description": alarm.get("AlarmDescription"),
            "old_state": alarm.get("OldStateValue"),
            "new_state": state,
            "metric": trigger.get("MetricName"),
            "namespace": trigger.get("Namespace"),
        },
        "occurred_at": timestamp(alarm.get("StateChangeTime"), "Message.StateChangeTime"),
        "dedup_key": f"cloudwatch:{arn}",
        "metrics": metrics,
        "labels": _arn_labels(arn or "", alarm.get("AWSAccountId")),
    }
    return [document]


def _arn_labels(arn: str, account: Any) -> dict[str, str]:
    """The same account and region labels as EventBridge gives, from the alarm's ARN (the SNS
    message's ``Region`` is a display name such as 'US East (N. Virginia)')."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 4 and parts[0] == "arn" else ""
    return event_labels({"aws_account": str(account or ""), "aws_region": region})


def _alarm_state_change(body: Any, detail: Any, origin: str) -> list[Document]:
    state = mapping(detail.get("state"), "detail.state")
    value = state.get("value")
    if value not in ALARM_ACTIONS:
        return []
    name = text(detail.get("alarmName"), "detail.alarmName", required=True)
    resources = body.get("resources") or []
    arn = resources[0] if resources and isinstance(resources[0], str) else name
    metrics = {}
    try:
        reason = read_json(state.get("reasonData") or "{}")
        if reason.get("recentDatapoints"):
            metrics["value"] = float(reason["recentDatapoints"][-1])
        if isinstance(reason.get("threshold"), int | float):
            metrics["threshold"] = float(reason["threshold"])
    except (ValueError, TypeError, AttributeError):
        metrics = {}
    configuration = mapping(detail.get("configuration"), "detail.configuration", required=False)
    document: Document = {
        "source": origin,
        "type": ALARM_TYPE,
        "action": ALARM_ACTIONS[value],
        "severity": "high",
        "summary": summary(f"{name}: {state.get('reason') or value}"),
        "details": {
            "alarm": name,
            "description": configuration.get("description"),
            "previous_state": mapping(
                detail.get("previousState"), "detail.previousState", required=False
            ).get("value"),
            "state": value,
        },
        "occurred_at": timestamp(body.get("time"), "time"),
        "dedup_key": f"cloudwatch:{arn}",
        "metrics": metrics,
    }
    return [document]


def _guardduty(detail: Any, origin: str) -> Document:
    score = detail.get("severity")
    if not isinstance(score, int | float):
        raise InvalidEvent("detail.severity", "must be a number")
    severity = (
        "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    )
    finding_id = text(detail.get("id"), "detail.id", required=True)
    return {
        "source": origin,
        "type": GUARDDUTY_TYPE,
        "action": "trigger",
        "severity": severity,
        "summary": summary(
            text(detail.get("title"), "detail.title"), text(detail.get("type"), "detail.type")
        ),
        "details": {
            "finding_type": detail.get("type"),
            "account": detail.get("accountId"),
            "region": detail.get("region"),
            "resource_type": mapping(detail.get("resource"), "detail.resource", required=False).get(
                "resourceType"
            ),
        },
        "dedup_key": f"guardduty:{finding_id}",
        "metrics": {"guardduty_severity": float(score)},
    }


def _security_hub(raw: Any, path: str, origin: str, forced: bool) -> Document:
    finding = mapping(raw, path)
    label = mapping(finding.get("Severity"), f"{path}.Severity").get("Label")
    if label not in HUB_SEVERITIES:
        raise InvalidEvent(f"{path}.Severity.Label", f"must be one of {', '.join(HUB_SEVERITIES)}")
    workflow = mapping(finding.get("Workflow"), f"{path}.Workflow", required=False).get("Status")
    compliance = mapping(finding.get("Compliance"), f"{path}.Compliance", required=False).get(
        "Status"
    )
    closed = (
        finding.get("RecordState") == "ARCHIVED"
        or workflow in ("RESOLVED", "SUPPRESSED")
        or compliance == "PASSED"
    )
    finding_id = text(finding.get("Id"), f"{path}.Id", required=True)
    return {
        "source": origin,
        "type": SECURITY_HUB_TYPE,
        "action": "trigger" if forced or not closed else "resolve",
        "severity": HUB_SEVERITIES[label],
        "summary": summary(text(finding.get("Title"), f"{path}.Title"), finding_id),
        "details": {
            "generator": finding.get("GeneratorId"),
            "workflow": workflow,
            "compliance": compliance,
            "record_state": finding.get("RecordState"),
            "product": finding.get("ProductArn"),
        },
        "dedup_key": f"securityhub:{finding_id}"[:255],
    }


def _health(body: Any, detail: Any, origin: str) -> Document:
    arn = text(detail.get("eventArn"), "detail.eventArn", required=True)
    category = detail.get("eventTypeCategory")
    descriptions = items(detail.get("eventDescription", []), "detail.eventDescription")
    latest = next((d.get("latestDescription") for d in descriptions if isinstance(d, dict)), "")
    return {
        "source": origin,
        "type": HEALTH_TYPE,
        "action": "resolve" if detail.get("statusCode") == "closed" else "trigger",
        "severity": HEALTH_SEVERITIES.get(str(category), "medium"),
        "summary": summary(f"AWS Health: {detail.get('service')} {detail.get('eventTypeCode')}"),
        "details": {
            "service": detail.get("service"),
            "event_type": detail.get("eventTypeCode"),
            "category": category,
            "description": str(latest or "")[:2000],
            "affected": [
                e.get("entityValue")
                for e in detail.get("affectedEntities", [])
                if isinstance(e, dict)
            ],
        },
        "dedup_key": f"health:{arn}"[:255],
    }
