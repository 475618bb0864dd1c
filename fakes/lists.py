"""The lists of incidents and events, read from the fake stores, by the rules of
``storage/lists.py`` (its contract suite, ``tests/functional/test_lists_store.py``, runs
against both): newest first by time then id, every filter applied, a page at most ``limit``
long and a cursor position to go on from while anything older matches.

The adapter may end a page early (its read budget) and still give a position; this fake never
does, so a query pages to the same items either way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from chalicelib.core.cursors import Position
from chalicelib.core.listing import EventQuery, Exercises, IncidentQuery, Page
from chalicelib.core.model import EventStatus, Incident
from chalicelib.core.summaries import EventSummary, IncidentSummary
from fakes.events import MemoryEventStore
from fakes.incidents import MemoryIncidentStore

_Item = TypeVar("_Item", IncidentSummary, EventSummary)


class MemoryLists:
    def __init__(self, incidents: MemoryIncidentStore, events: MemoryEventStore) -> None:
        self._incidents = incidents
        self._events = events

    def incidents(self, query: IncidentQuery) -> Page[IncidentSummary]:
        def wanted(incident: Incident) -> bool:
            drill = incident.is_exercise
            return (
                (query.status is None or incident.status is query.status)
                and (query.since is None or incident.opened_at >= query.since)
                and (query.until is None or incident.opened_at <= query.until)
                and (query.type is None or incident.type == query.type)
                and (query.severity is None or incident.severity is query.severity)
                and (query.plan is None or incident.plan_id == query.plan)
                and (query.exercise is not Exercises.EXCLUDE or not drill)
                and (query.exercise is not Exercises.ONLY or drill)
            )

        found = [_incident_summary(i) for i in self._incidents.incidents() if wanted(i)]
        return _page(found, lambda s: (s.opened_at, s.incident_id), query.after, query.limit)

    def events(self, query: EventQuery) -> Page[EventSummary]:
        found = [
            summary
            for summary in self._event_summaries()
            if (query.status is None or summary.status is query.status)
            and (query.source is None or summary.source == query.source)
            and (query.since is None or summary.received_at >= query.since)
        ]
        return _page(found, lambda s: (s.received_at, s.event_id), query.after, query.limit)

    def _event_summaries(self) -> Iterable[EventSummary]:
        for event_id, received in self._events.received.items():
            record = self._events.get(event_id)
            if record is None:
                continue
            event = received.event
            yield EventSummary(
                event_id=event_id,
                status=record.outcome,
                source=event.source,
                type=event.type,
                severity=event.severity,
                exercise=event.status is not EventStatus.ACTUAL,
                received_at=received.received_at,
                decided_at=record.decided_at,
                code=record.code,
                reason=record.reason,
                incident_id=record.incident_id,
            )


def _page(
    found: list[_Item],
    position: Callable[[_Item], tuple[datetime, str]],
    after: Position | None,
    limit: int,
) -> Page[_Item]:
    """Newest first, older than ``after``; the position of the page's last item when more
    follow. Instants compare as the moments they name (as the adapter's UTC text does)."""

    def key(item: _Item) -> tuple[datetime, str]:
        at, item_id = position(item)
        return at.astimezone(UTC), item_id

    ordered = sorted(found, key=key, reverse=True)
    if after is not None:
        ordered = [
            item for item in ordered if key(item) < (after.at.astimezone(UTC), after.item_id)
        ]
    page = ordered[:limit]
    if len(ordered) <= limit:
        return Page(tuple(page), None)
    at, item_id = key(page[-1])
    return Page(tuple(page), Position(at, item_id))


def _incident_summary(incident: Incident) -> IncidentSummary:
    return IncidentSummary(
        incident_id=incident.incident_id,
        status=incident.status,
        title=incident.title,
        type=incident.type,
        severity=incident.severity,
        exercise=incident.is_exercise,
        plan_id=incident.plan_id,
        rule_id=incident.rule_id,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        first_sent_at=incident.first_sent_at,
    )
