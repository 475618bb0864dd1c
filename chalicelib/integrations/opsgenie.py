"""Opsgenie Alert API, create alert (``POST /v2/alerts``): ``alias`` is the dedup key."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.common import (
    STATUS_OVERRIDE,
    TYPE_OVERRIDE,
    Document,
    IntegrationDefaults,
    event_status,
    event_type,
    items,
    mapping,
    string_map,
    summary,
    text,
)

PRIORITIES = {"P1": "critical", "P2": "high", "P3": "medium", "P4": "low", "P5": "info"}
MESSAGE_LIMIT = 130  # Opsgenie's own limit for ``message``


def from_opsgenie(payload: Any, defaults: IntegrationDefaults) -> list[Document]:
    body = mapping(payload, "$")
    message = text(body.get("message"), "message", required=True)
    assert message is not None
    if len(message) > MESSAGE_LIMIT:
        raise InvalidEvent("message", f"must be at most {MESSAGE_LIMIT} characters")
    priority = body.get("priority", "P3")
    if priority not in PRIORITIES:
        raise InvalidEvent("priority", f"must be one of {', '.join(PRIORITIES)}")
    details = string_map(body.get("details"), "details")
    tags = [str(tag) for tag in items(body.get("tags", []), "tags")]
    alias = text(body.get("alias"), "alias")
    document: Document = {
        "source": defaults.source or text(body.get("source"), "source") or "opsgenie",
        "type": event_type(details.get(TYPE_OVERRIDE), defaults),
        "action": "trigger",
        "severity": PRIORITIES[priority],
        "status": event_status(details.get(STATUS_OVERRIDE)),
        "summary": summary(message),
        "details": {
            "description": body.get("description"),
            "entity": body.get("entity"),
            "tags": tags,
            "details": details,
            "priority": priority,
        },
    }
    if alias:
        document["dedup_key"] = f"opsgenie:{alias}"[:255]
    return [document]
