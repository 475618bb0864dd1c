"""What the dark site says: its incidents and their published statements. Pure.

The site keeps its own record, in ``status.json`` (the shape in docs/site-status.schema.json),
so it can be rebuilt from what it shows, without the tables of the deployment that may be down:

    dark ──1st public statement──▶ incident open (newest statement first)
                                   ──update──▶ open ──closing──▶ past (at most MAX_PAST kept)

A statement written again (a retried publish) replaces itself: the site never shows it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.core.errors import InvalidRequest

SHAPE_VERSION = 1
MAX_PAST = 10
CLOSING = "closing"


@dataclass(frozen=True)
class PostedStatement:
    """A statement as the site shows it: approved and published, exactly as approved."""

    statement_id: str
    language: str
    kind: str  # initial, update, closing
    subject: str
    body: str
    published_at: datetime

    def document(self) -> dict[str, Any]:
        return {
            "id": self.statement_id,
            "language": self.language,
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body,
            "published_at": self.published_at.isoformat(),
        }


@dataclass(frozen=True)
class SiteIncident:
    incident_id: str
    severity: str
    exercise: bool
    opened_at: datetime
    statements: tuple[PostedStatement, ...] = ()  # newest first
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def updated_at(self) -> datetime:
        return self.statements[0].published_at if self.statements else self.opened_at

    def in_language(self, language: str) -> tuple[PostedStatement, ...]:
        return tuple(s for s in self.statements if s.language == language)

    def document(self) -> dict[str, Any]:
        return {
            "id": self.incident_id,
            "status": "open" if self.is_open else "closed",
            "severity": self.severity,
            "exercise": self.exercise,
            "opened_at": self.opened_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "statements": [statement.document() for statement in self.statements],
        }


@dataclass(frozen=True)
class SiteState:
    incidents: tuple[SiteIncident, ...] = ()  # open, the latest updated first
    past: tuple[SiteIncident, ...] = ()  # closed, the latest closed first

    @property
    def is_dark(self) -> bool:
        return not self.incidents

    @property
    def shown(self) -> tuple[SiteIncident, ...]:
        return self.incidents + self.past

    @property
    def has_exercise(self) -> bool:
        return any(incident.exercise for incident in self.shown)

    @property
    def updated_at(self) -> datetime | None:
        return max((incident.updated_at for incident in self.shown), default=None)


def with_statement(
    state: SiteState, incident: SiteIncident, statement: PostedStatement
) -> SiteState:
    """The site once ``statement`` (of ``incident``) is published on it."""
    known = next((i for i in state.shown if i.incident_id == incident.incident_id), incident)
    kept = tuple(s for s in known.statements if s.statement_id != statement.statement_id)
    statements = tuple(
        sorted((statement, *kept), key=lambda s: (s.published_at, s.statement_id), reverse=True)
    )
    closed_at = known.closed_at
    if statement.kind == CLOSING and closed_at is None:
        closed_at = statement.published_at
    updated = replace(known, statements=statements, closed_at=closed_at)
    others = tuple(i for i in state.shown if i.incident_id != incident.incident_id)
    everyone = (updated, *others)
    return SiteState(
        incidents=tuple(sorted((i for i in everyone if i.is_open), key=_latest, reverse=True)),
        past=tuple(sorted((i for i in everyone if not i.is_open), key=_closed, reverse=True))[
            :MAX_PAST
        ],
    )


def status_document(state: SiteState, organisation: str, timezone: str) -> dict[str, Any]:
    """status.json: the documented shape (docs/site-status.schema.json)."""
    updated = state.updated_at
    return {
        "version": SHAPE_VERSION,
        "organisation": organisation,
        "timezone": timezone,
        "status": "dark" if state.is_dark else "incident",
        "updated_at": updated.isoformat() if updated else None,
        "incidents": [incident.document() for incident in state.incidents],
        "past": [incident.document() for incident in state.past],
    }


def state_from_document(document: Any) -> SiteState:
    """Read status.json back (the site's own record); refuses a shape it does not know."""
    if not isinstance(document, Mapping) or document.get("version") != SHAPE_VERSION:
        raise InvalidRequest("status.json", f"is not version {SHAPE_VERSION} of the site's shape")
    try:
        return SiteState(
            incidents=tuple(_incident(each) for each in document["incidents"]),
            past=tuple(_incident(each) for each in document["past"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidRequest("status.json", f"does not have the site's shape: {error}") from None


def _incident(document: Mapping[str, Any]) -> SiteIncident:
    closed = document["closed_at"]
    return SiteIncident(
        incident_id=str(document["id"]),
        severity=str(document["severity"]),
        exercise=bool(document["exercise"]),
        opened_at=datetime.fromisoformat(document["opened_at"]),
        statements=tuple(
            PostedStatement(
                statement_id=str(s["id"]),
                language=str(s["language"]),
                kind=str(s["kind"]),
                subject=str(s["subject"]),
                body=str(s["body"]),
                published_at=datetime.fromisoformat(s["published_at"]),
            )
            for s in document["statements"]
        ),
        closed_at=datetime.fromisoformat(closed) if closed else None,
    )


def _latest(incident: SiteIncident) -> datetime:
    return incident.updated_at


def _closed(incident: SiteIncident) -> datetime:
    return incident.closed_at or incident.updated_at
