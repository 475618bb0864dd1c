"""The lists, fake and DynamoDB (the lists index under moto) alike: every filter, page after page,
equals filtering everything, and an item moves between lists as its status changes. The read
budget is the adapter's own (a tiny one ends its pages early); the fake has none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from chalicelib.core.activation.ports import EventStore
from chalicelib.core.listing import (
    EventQuery,
    Exercises,
    IncidentQuery,
    Lists,
    Page,
)
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEntry,
)
from chalicelib.core.ports import IncidentStore
from chalicelib.core.summaries import EventSummary, IncidentSummary
from fakes import MemoryEventStore, MemoryIncidentStore, MemoryLists
from tests.functional.conftest import BACKENDS
from tests.list_samples import START, sample_events, sample_incidents, store_events, store_incidents

INCIDENTS = sample_incidents(30)
EVENTS = sample_events(25)


@dataclass(frozen=True)
class Backend:
    incidents: IncidentStore
    events: EventStore
    lists: Callable[[int], Lists]  # the lists, with the adapter's read budget per page


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "fake":
        events = MemoryEventStore()
        incidents = MemoryIncidentStore(events)
        memory = MemoryLists(incidents, events)
        return Backend(incidents, events, lambda budget: memory)
    from chalicelib.storage.events import DynamoEventStore
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.lists import DynamoLists

    client = request.getfixturevalue("tables").client("dynamodb")
    table = request.getfixturevalue("settings").incidents_table
    return Backend(
        DynamoIncidentStore(client, table),
        DynamoEventStore(client, table),
        lambda budget: DynamoLists(client, table, read_budget=budget),
    )


def every_incident(lists: Lists, query: IncidentQuery) -> tuple[list[str], int]:
    """Ids over every page, and how many pages it took."""
    return _pages(lists.incidents, query)


def every_event(lists: Lists, query: EventQuery) -> tuple[list[str], int]:
    return _pages(lists.events, query)


def _pages(
    read: Callable[..., Page[IncidentSummary] | Page[EventSummary]], query: object
) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    while True:
        page = read(query)
        pages += 1
        assert len(page.items) <= query.limit  # type: ignore[attr-defined]
        ids += [
            item.incident_id if isinstance(item, IncidentSummary) else item.event_id
            for item in page.items
        ]
        if page.next is None:
            return ids, pages
        assert pages < 100, "paging does not end"
        query = replace(query, after=page.next)  # type: ignore[type-var]


def newest_first(incidents: list[Incident], keep: Callable[[Incident], bool]) -> list[str]:
    chosen = [i for i in incidents if keep(i)]
    return [i.incident_id for i in sorted(chosen, key=lambda i: i.opened_at, reverse=True)]


INCIDENT_FILTERS: dict[str, tuple[IncidentQuery, Callable[[Incident], bool]]] = {
    "default: real incidents only": (IncidentQuery(), lambda i: not i.is_exercise),
    "status open": (
        IncidentQuery(status=IncidentStatus.OPEN),
        lambda i: i.status is IncidentStatus.OPEN and not i.is_exercise,
    ),
    "status resolved": (
        IncidentQuery(status=IncidentStatus.RESOLVED),
        lambda i: i.status is IncidentStatus.RESOLVED and not i.is_exercise,
    ),
    "since": (
        IncidentQuery(since=START + timedelta(minutes=9)),
        lambda i: i.opened_at >= START + timedelta(minutes=9) and not i.is_exercise,
    ),
    "until": (
        IncidentQuery(until=START + timedelta(minutes=20)),
        lambda i: i.opened_at <= START + timedelta(minutes=20) and not i.is_exercise,
    ),
    "since and until": (
        IncidentQuery(since=START + timedelta(minutes=5), until=START + timedelta(minutes=24)),
        lambda i: (
            START + timedelta(minutes=5) <= i.opened_at <= START + timedelta(minutes=24)
            and not i.is_exercise
        ),
    ),
    "type": (
        IncidentQuery(type="it.outage"),
        lambda i: i.type == "it.outage" and not i.is_exercise,
    ),
    "severity": (
        IncidentQuery(severity=Severity.HIGH),
        lambda i: i.severity is Severity.HIGH and not i.is_exercise,
    ),
    "plan": (
        IncidentQuery(plan="crisis-cell"),
        lambda i: i.plan_id == "crisis-cell" and not i.is_exercise,
    ),
    "exercises included": (IncidentQuery(exercise=Exercises.INCLUDE), lambda i: True),
    "exercises only": (IncidentQuery(exercise=Exercises.ONLY), lambda i: i.is_exercise),
    "several filters": (
        IncidentQuery(
            status=IncidentStatus.RESOLVED, plan="it-major-incident", exercise=Exercises.INCLUDE
        ),
        lambda i: i.status is IncidentStatus.RESOLVED and i.plan_id == "it-major-incident",
    ),
}


@pytest.mark.parametrize("budget", [500, 3], ids=["ample budget", "tiny read budget"])
@pytest.mark.parametrize("name", list(INCIDENT_FILTERS))
def test_every_incident_filter_pages_to_exactly_what_filtering_everything_gives(
    backend: Backend, name: str, budget: int
) -> None:
    store_incidents(backend.incidents, INCIDENTS)
    query, keep = INCIDENT_FILTERS[name]
    expected = newest_first(INCIDENTS, keep)
    found, pages = every_incident(backend.lists(budget), replace(query, limit=2))
    assert found == expected
    assert len(expected) > 2 and pages > 1


EVENT_FILTERS: dict[str, tuple[EventQuery, Callable[[DecisionOutcome, str, float], bool]]] = {
    "everything": (EventQuery(), lambda outcome, source, minute: True),
    "pending": (
        EventQuery(status=DecisionOutcome.PENDING),
        lambda outcome, source, minute: outcome is DecisionOutcome.PENDING,
    ),
    "suppressed": (
        EventQuery(status=DecisionOutcome.SUPPRESSED),
        lambda outcome, source, minute: outcome is DecisionOutcome.SUPPRESSED,
    ),
    "source": (
        EventQuery(source="soc.example.com"),
        lambda outcome, source, minute: source == "soc.example.com",
    ),
    "since": (EventQuery(since=START + timedelta(minutes=7)), lambda o, s, minute: minute >= 7),
    "status, source and since": (
        EventQuery(
            status=DecisionOutcome.SUPPRESSED,
            source="prometheus-prod",
            since=START + timedelta(minutes=2),
        ),
        lambda outcome, source, minute: (
            outcome is DecisionOutcome.SUPPRESSED and source == "prometheus-prod" and minute >= 2
        ),
    ),
}


@pytest.mark.parametrize("budget", [500, 2], ids=["ample budget", "tiny read budget"])
@pytest.mark.parametrize("name", list(EVENT_FILTERS))
def test_every_event_filter_pages_to_exactly_what_filtering_everything_gives(
    backend: Backend, name: str, budget: int
) -> None:
    store_events(backend.events, EVENTS)
    query, keep = EVENT_FILTERS[name]
    expected = [
        received.event_id
        for received, outcome in reversed(EVENTS)
        if keep(
            outcome,
            received.event.source,
            (received.received_at - START).total_seconds() / 60,
        )
    ]
    found, pages = every_event(backend.lists(budget), replace(query, limit=2))
    assert found == expected
    assert len(expected) > 2 and pages > 1


def test_an_incident_moves_between_status_lists_as_it_is_approved_and_resolved(
    backend: Backend,
) -> None:
    incidents = backend.incidents
    held = replace(INCIDENTS[0], status=IncidentStatus.AWAITING_APPROVAL)
    incidents.create(held, [])
    lists = backend.lists(500)

    def listed(status: IncidentStatus) -> list[str]:
        return [i.incident_id for i in lists.incidents(IncidentQuery(status=status)).items]

    assert listed(IncidentStatus.AWAITING_APPROVAL) == [held.incident_id]
    entry = TimelineEntry(at=held.opened_at, kind="approved", summary="approved")
    assert incidents.transition(
        held.incident_id, IncidentStatus.AWAITING_APPROVAL, IncidentStatus.OPEN, entry
    )
    assert listed(IncidentStatus.AWAITING_APPROVAL) == []
    assert listed(IncidentStatus.OPEN) == [held.incident_id]
    opened = incidents.get(held.incident_id)
    assert opened is not None
    assert incidents.close(opened, TimelineEntry(at=held.opened_at, kind="resolved", summary="x"))
    assert listed(IncidentStatus.OPEN) == []
    [summary] = lists.incidents(IncidentQuery(status=IncidentStatus.RESOLVED)).items
    assert (summary.incident_id, summary.status) == (held.incident_id, IncidentStatus.RESOLVED)
    assert summary.resolved_at is not None


def test_an_event_moves_from_the_pending_list_to_its_decision(backend: Backend) -> None:
    events = backend.events
    received, _ = EVENTS[0]
    events.record_received(received)
    lists = backend.lists(500)
    [pending] = lists.events(EventQuery(status=DecisionOutcome.PENDING)).items
    assert (pending.event_id, pending.source, pending.exercise) == (
        received.event_id,
        received.event.source,
        received.event.status is not EventStatus.ACTUAL,
    )
    events.record_decision(
        received.event_id, DecisionOutcome.SUPPRESSED, "below_threshold", "too small", START
    )
    assert lists.events(EventQuery(status=DecisionOutcome.PENDING)).items == ()
    [decided] = lists.events(EventQuery(status=DecisionOutcome.SUPPRESSED)).items
    assert (decided.code, decided.reason, decided.decided_at) == (
        "below_threshold",
        "too small",
        START,
    )


def test_instants_in_other_time_zones_sort_by_the_moment_they_name(backend: Backend) -> None:
    from datetime import timezone

    early, late = sample_incidents(2)
    # 09:30 at +02:00 is 07:30 UTC: earlier than 08:00 UTC, though its text sorts after it.
    plus_two = timezone(timedelta(hours=2))
    shifted = replace(early, opened_at=START.astimezone(plus_two) - timedelta(minutes=30))
    store_incidents(backend.incidents, [shifted, late])
    found = backend.lists(500).incidents(IncidentQuery(exercise=Exercises.INCLUDE))
    assert [i.incident_id for i in found.items] == [late.incident_id, shifted.incident_id]
