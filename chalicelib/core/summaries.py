"""What Tocsin shows of an incident or an event: in lists, and an incident in full. The API
and the ``tocsin`` command answer with the same documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.model import (
    DecisionOutcome,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEntry,
)


@dataclass(frozen=True)
class IncidentSummary:
    incident_id: str
    status: IncidentStatus
    title: str
    type: str
    severity: Severity
    exercise: bool
    plan_id: str
    rule_id: str
    opened_at: datetime
    resolved_at: datetime | None = None
    first_sent_at: datetime | None = None


@dataclass(frozen=True)
class EventSummary:
    event_id: str
    status: DecisionOutcome
    source: str
    type: str
    severity: Severity
    exercise: bool
    received_at: datetime
    decided_at: datetime | None = None
    code: str | None = None
    reason: str | None = None
    incident_id: str | None = None


def incident_document(summary: IncidentSummary) -> dict[str, Any]:
    """One incident as the list shows it (the API and ``tocsin incidents list --json``)."""
    return {
        "incident_id": summary.incident_id,
        "status": summary.status.value,
        "title": summary.title,
        "type": summary.type,
        "severity": summary.severity.value,
        "exercise": summary.exercise,
        "plan_id": summary.plan_id,
        "rule_id": summary.rule_id,
        "opened_at": summary.opened_at.isoformat(),
        "resolved_at": _iso(summary.resolved_at),
        "first_sent_at": _iso(summary.first_sent_at),
    }


def event_document(summary: EventSummary) -> dict[str, Any]:
    return {
        "event_id": summary.event_id,
        "status": summary.status.value,
        "source": summary.source,
        "type": summary.type,
        "severity": summary.severity.value,
        "exercise": summary.exercise,
        "received_at": summary.received_at.isoformat(),
        "decided_at": _iso(summary.decided_at),
        "code": summary.code,
        "reason": summary.reason,
        "incident_id": summary.incident_id,
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def incident_detail_document(
    incident: Incident, timeline: Sequence[TimelineEntry]
) -> dict[str, Any]:
    """One incident with its timeline: what ``GET /v1/incidents/{id}`` and ``tocsin incidents
    show --json`` answer, before the cost and the answers are added
    (:meth:`chalicelib.core.response.answers.Responses.document`)."""
    return {
        "incident_id": incident.incident_id,
        "status": incident.status.value,
        "title": incident.title,
        "type": incident.type,
        "severity": incident.severity.value,
        "exercise": incident.is_exercise,
        "dedup_key": incident.dedup_key,
        "dedup_namespace": incident.dedup_namespace or None,
        "rule_id": incident.rule_id,
        "plan_id": incident.plan_id,
        "event_count": incident.event_count,
        "opened_at": incident.opened_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "resolved_at": _iso(incident.resolved_at),
        "first_sent_at": _iso(incident.first_sent_at),
        "expires_at": _iso(incident.expires_at),
        "timeline": [
            {
                "at": entry.at.isoformat(),
                "kind": entry.kind,
                "summary": entry.summary,
                "data": entry.data,
            }
            for entry in timeline
        ],
    }
