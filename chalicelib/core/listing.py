"""Lists of incidents and events: the filters a caller may give, every bad one named at once,
and the port that reads them, newest first, a page at a time. What a list shows of each item is
in :mod:`summaries`; the cursor that pages one query and no other, in :mod:`cursors`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.core.cursors import Position, fingerprint, make_cursor, read_cursor
from chalicelib.core.errors import FieldProblem, InvalidEvent, InvalidRequest
from chalicelib.core.events import is_event_type, read_timestamp
from chalicelib.core.model import DecisionOutcome, IncidentStatus, Severity
from chalicelib.core.summaries import EventSummary, IncidentSummary

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_SOURCE = 255
_PLAN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class Exercises(StrEnum):
    """Whether drills and tests are listed: left out unless asked for."""

    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"


@dataclass(frozen=True)
class IncidentQuery:
    status: IncidentStatus | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened at or before
    type: str | None = None
    severity: Severity | None = None
    plan: str | None = None
    exercise: Exercises = Exercises.EXCLUDE
    limit: int = DEFAULT_LIMIT
    after: Position | None = None  # from the cursor: items older than this

    def filters(self) -> dict[str, str | None]:
        return {
            "status": self.status.value if self.status else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "type": self.type,
            "severity": self.severity.value if self.severity else None,
            "plan": self.plan,
            "exercise": self.exercise.value,
        }


@dataclass(frozen=True)
class EventQuery:
    status: DecisionOutcome | None = None
    source: str | None = None
    since: datetime | None = None  # received at or after
    limit: int = DEFAULT_LIMIT
    after: Position | None = None

    def filters(self) -> dict[str, str | None]:
        return {
            "status": self.status.value if self.status else None,
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
        }


Item = TypeVar("Item", IncidentSummary, EventSummary)


@dataclass(frozen=True)
class Page(Generic[Item]):
    """Items newest first; ``next`` is None when there is nothing older. A page may hold fewer
    than the limit (filters that match rarely) and still have a ``next``."""

    items: tuple[Item, ...]
    next: Position | None


class Lists(Protocol):
    def incidents(self, query: IncidentQuery) -> Page[IncidentSummary]: ...

    def events(self, query: EventQuery) -> Page[EventSummary]: ...


INCIDENT_FILTERS = ("status", "since", "until", "type", "severity", "plan", "exercise")
EVENT_FILTERS = ("status", "source", "since")


def incident_query(params: Mapping[str, Sequence[str]]) -> IncidentQuery:
    """The query in ``params`` (each name with every value given); InvalidRequest naming every
    bad parameter."""
    reader = _Reader(params, (*INCIDENT_FILTERS, "limit", "cursor"))
    query = IncidentQuery(
        status=reader.choice("status", IncidentStatus),
        since=reader.instant("since"),
        until=reader.instant("until"),
        type=reader.text("type", is_event_type, "an event type such as it.outage"),
        severity=reader.choice("severity", Severity),
        plan=reader.text("plan", _PLAN.fullmatch, "a plan id (lower-case letters, digits, -)"),
        exercise=reader.choice("exercise", Exercises) or Exercises.EXCLUDE,
        limit=reader.limit(),
    )
    if query.since and query.until and query.since > query.until:
        reader.problem("until", "must not be before since")
    after = reader.cursor("incidents", query.filters(), INCIDENT_FILTERS)
    reader.raise_problems()
    return replace(query, after=after)


def event_query(params: Mapping[str, Sequence[str]]) -> EventQuery:
    reader = _Reader(params, (*EVENT_FILTERS, "limit", "cursor"))
    query = EventQuery(
        status=reader.choice("status", DecisionOutcome),
        source=reader.text("source", lambda s: 0 < len(s) <= MAX_SOURCE, "a source name"),
        since=reader.instant("since"),
        limit=reader.limit(),
    )
    after = reader.cursor("events", query.filters(), EVENT_FILTERS)
    reader.raise_problems()
    return replace(query, after=after)


def cursor_for(query: IncidentQuery | EventQuery, position: Position | None) -> str | None:
    """The cursor that pages ``query`` on from ``position`` (None: there is nothing more)."""
    if position is None:
        return None
    kind = "incidents" if isinstance(query, IncidentQuery) else "events"
    return make_cursor(kind, query.filters(), position)


class _Reader:
    """Reads each parameter once, collecting every problem instead of stopping at the first."""

    def __init__(self, params: Mapping[str, Sequence[str]], known: Sequence[str]) -> None:
        self._params = params
        self._problems: list[FieldProblem] = []
        for name in sorted(params):
            if name not in known:
                self.problem(name, f"is not a parameter of this list (it takes {', '.join(known)})")

    def problem(self, name: str, message: str) -> None:
        self._problems.append(FieldProblem(name, message))

    def raise_problems(self) -> None:
        if self._problems:
            raise InvalidRequest.of(self._problems)

    def value(self, name: str) -> str | None:
        values = list(self._params.get(name, ()))
        if len(values) > 1:
            self.problem(name, "must be given once")
            return None
        return values[0] if values else None

    def choice(self, name: str, kind: type[Any]) -> Any:
        text = self.value(name)
        if text is None:
            return None
        try:
            return kind(text)
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            self.problem(name, f"must be one of {choices}; got {text[:40]!r}")
            return None

    def text(self, name: str, valid: Any, what: str) -> str | None:
        text = self.value(name)
        if text is None:
            return None
        if not valid(text):
            self.problem(name, f"must be {what}; got {text[:40]!r}")
            return None
        return text

    def instant(self, name: str) -> datetime | None:
        text = self.value(name)
        if text is None:
            return None
        try:
            return read_timestamp(text, name).astimezone(UTC)
        except InvalidEvent as error:
            self.problem(name, error.message)
        except OverflowError:
            self.problem(name, f"is out of range: {text[:40]!r}")
        return None

    def limit(self) -> int:
        text = self.value("limit")
        if text is None:
            return DEFAULT_LIMIT
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
            self.problem(
                "limit", f"must be a whole number from 1 to {MAX_LIMIT}; got {text[:20]!r}"
            )
            return DEFAULT_LIMIT
        return int(text)

    def cursor(
        self, kind: str, filters: Mapping[str, str | None], names: Sequence[str]
    ) -> Position | None:
        text = self.value("cursor")
        if text is None:
            return None
        found = read_cursor(text, kind)
        if found is None:
            self.problem("cursor", f"is not a cursor this API gave for a list of {kind}")
            return None
        position, query = found
        if any(problem.field in names for problem in self._problems):
            return None  # with a filter wrong, the query the cursor belongs to is not known
        if query != fingerprint(kind, filters):
            self.problem(
                "cursor",
                "belongs to another query: give the same filters as the request that returned "
                "it, or leave the cursor out to start from the newest",
            )
            return None
        return position
