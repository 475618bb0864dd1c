"""PagerDuty Events API v2 (``/v2/enqueue``): trigger, acknowledge and resolve by ``dedup_key``;
and change events (``/v2/change/enqueue``).

Validated as PagerDuty validates it, so a tool that can page PagerDuty can page Tocsin unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.dropin.ports import ChangeEvent
from chalicelib.core.errors import InvalidEvent
from chalicelib.core.events import MAX_LINKS, MAX_SUMMARY
from chalicelib.core.model import Link
from chalicelib.integrations.common import (
    STATUS_OVERRIDE,
    TYPE_OVERRIDE,
    Document,
    IntegrationDefaults,
    event_status,
    event_type,
    http_link,
    items,
    mapping,
    string_map,
    summary,
    text,
    timestamp,
)

SEVERITIES = {"critical": "critical", "error": "high", "warning": "medium", "info": "info"}
ACTIONS = ("trigger", "acknowledge", "resolve")


def routing_key(payload: Any) -> str | None:
    """The integration key PagerDuty takes from the body rather than a header."""
    if isinstance(payload, dict) and isinstance(payload.get("routing_key"), str):
        return payload["routing_key"].strip() or None
    return None


def from_pagerduty(payload: Any, defaults: IntegrationDefaults) -> list[Document]:
    body = mapping(payload, "$")
    action = body.get("event_action")
    if action not in ACTIONS:
        raise InvalidEvent("event_action", f"must be one of {', '.join(ACTIONS)}")
    dedup_key = text(body.get("dedup_key"), "dedup_key", required=action != "trigger")
    if dedup_key is not None and len(dedup_key) > 255:
        raise InvalidEvent("dedup_key", "must be at most 255 characters")
    if action != "trigger":
        return [
            {
                "source": defaults.source or "pagerduty",
                "type": defaults.event_type,
                "action": action,
                "dedup_key": dedup_key,
            }
        ]
    event = mapping(body.get("payload"), "payload")
    severity = text(event.get("severity"), "payload.severity", required=True)
    if severity not in SEVERITIES:
        raise InvalidEvent("payload.severity", f"must be one of {', '.join(SEVERITIES)}")
    custom = event.get("custom_details")
    overrides = string_map(custom, "payload.custom_details") if isinstance(custom, dict) else {}
    document: Document = {
        "source": text(event.get("source"), "payload.source", required=True),
        "type": event_type(overrides.get(TYPE_OVERRIDE), defaults),
        "action": "trigger",
        "severity": SEVERITIES[severity],
        "status": event_status(overrides.get(STATUS_OVERRIDE)),
        "summary": summary(text(event.get("summary"), "payload.summary", required=True)),
        "details": {
            "component": event.get("component"),
            "group": event.get("group"),
            "class": event.get("class"),
            "custom_details": custom,
            "client": body.get("client"),
            "client_url": body.get("client_url"),
        },
        "occurred_at": timestamp(event.get("timestamp"), "payload.timestamp"),
        "links": [
            link
            for index, raw in enumerate(items(body.get("links", []), "links"))
            for link in http_link(
                mapping(raw, f"links[{index}]").get("href"), str(raw.get("text") or "")
            )
        ],
    }
    if dedup_key is not None:
        document["dedup_key"] = dedup_key
    return [document]


def change_event(payload: Any, sender: str, change_id: str, received_at: datetime) -> ChangeEvent:
    """A change event (``POST /v2/change/enqueue``): ``payload.summary`` is required."""
    body = mapping(payload, "$")
    event = mapping(body.get("payload"), "payload")
    change_summary = text(event.get("summary"), "payload.summary", required=True)
    if change_summary is None:  # only white space
        raise InvalidEvent("payload.summary", "is required")
    if len(change_summary) > MAX_SUMMARY:
        raise InvalidEvent("payload.summary", f"must be at most {MAX_SUMMARY} characters")
    custom = mapping(event.get("custom_details"), "payload.custom_details", required=False)
    occurred = timestamp(event.get("timestamp"), "payload.timestamp")
    links = [
        Link(link["href"], link["text"])
        for index, raw in enumerate(items(body.get("links", []), "links"))
        for link in http_link(
            mapping(raw, f"links[{index}]").get("href"), str(raw.get("text") or "")
        )
    ]
    return ChangeEvent(
        change_id=change_id,
        sender=sender,
        summary=change_summary,
        received_at=received_at,
        occurred_at=datetime.fromisoformat(occurred) if occurred else None,
        source=text(event.get("source"), "payload.source"),
        custom_details=dict(custom),
        links=tuple(links[:MAX_LINKS]),
    )
