"""Incidents and events newest first, from the lists index (tables.LIST_INDEX), never a scan.

Each incident and event item carries ``list_pk`` (its kind and status: ``INCIDENTS#open``,
``EVENTS#pending``) and ``list_at`` (its time, then its id). A list with a status filter is
one query of one partition; without one, every status's partition is read and the results are
merged, newest first:

    INCIDENTS#open      ──●───────●──────────────●─────▶ older
    INCIDENTS#resolved  ─────●──●────●──●──●──(stopped reading here: the frontier)
    page                ──●──●──●─●──●──●──●──┤ nothing older than the frontier is shown,
                                                so nothing the next page holds is skipped

Filters the index keys do not serve (type, severity, plan, exercises; an event's source) are
DynamoDB filter expressions on the same queries. Each partition reads at most ``READ_BUDGET``
items a page, so a rare filter makes pages short (still with a cursor), never a long request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.cursors import Position
from chalicelib.core.listing import (
    EventQuery,
    Exercises,
    IncidentQuery,
    Page,
)
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    IncidentStatus,
    Severity,
)
from chalicelib.core.summaries import EventSummary, IncidentSummary
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item
from chalicelib.storage.tables import LIST_INDEX

READ_BUDGET = 500  # items read per partition per page, filters included
_MIN_READ = 25  # each query asks for at least this many, so a filter does not mean 1-item reads
_LOWEST = "0000"  # sorts before every list_at
_HIGHEST = "9999"  # and after


@dataclass
class _Filter:
    """A FilterExpression and its values (empty: no filter)."""

    clauses: list[str]
    values: dict[str, Any]
    names: dict[str, str]


@dataclass(frozen=True)
class _Read:
    items: list[dict[str, Any]]
    frontier: str | None  # list_at of the last item read, when more may follow


class DynamoLists:
    def __init__(self, client: Any, table_name: str, read_budget: int = READ_BUDGET) -> None:
        self._client = client
        self._table = table_name
        self._budget = read_budget

    def incidents(self, query: IncidentQuery) -> Page[IncidentSummary]:
        statuses = [query.status] if query.status else list(IncidentStatus)
        partitions = [keys.incident_list_partition(status.value) for status in statuses]
        where = _Filter([], {}, {})
        if query.exercise is Exercises.EXCLUDE:
            where.clauses.append("event_status = :actual")
        elif query.exercise is Exercises.ONLY:
            where.clauses.append("event_status <> :actual")
        if query.exercise is not Exercises.INCLUDE:
            where.values[":actual"] = EventStatus.ACTUAL.value
        for attribute, value in (
            ("type", query.type),
            ("severity", query.severity.value if query.severity else None),
            ("plan_id", query.plan),
        ):
            if value is not None:
                where.clauses.append(f"#{attribute} = :{attribute}")
                where.values[f":{attribute}"] = value
                where.names[f"#{attribute}"] = attribute
        rows, position = self._page(
            partitions, query.since, query.until, query.after, where, query.limit
        )
        return Page(tuple(_incident_summary(row) for row in rows), position)

    def events(self, query: EventQuery) -> Page[EventSummary]:
        outcomes = [query.status] if query.status else list(DecisionOutcome)
        partitions = [keys.event_list_partition(outcome.value) for outcome in outcomes]
        where = _Filter([], {}, {})
        if query.source is not None:
            where.clauses.append("#source = :source")
            where.values[":source"] = query.source
            where.names["#source"] = "source"
        rows, position = self._page(partitions, query.since, None, query.after, where, query.limit)
        return Page(tuple(_event_summary(row) for row in rows), position)

    def _page(
        self,
        partitions: Sequence[str],
        since: datetime | None,
        until: datetime | None,
        after: Position | None,
        where: _Filter,
        limit: int,
    ) -> tuple[list[dict[str, Any]], Position | None]:
        low = keys.sortable_time(since) if since else _LOWEST
        high = keys.sortable_time(until) + "~" if until else _HIGHEST
        if after is not None:
            high = min(high, _just_before(keys.list_position(after.at, after.item_id)))
        reads = [self._read(partition, low, high, where, limit) for partition in partitions]
        frontiers = [read.frontier for read in reads if read.frontier is not None]
        # Every partition has been read down to its own frontier: items at or above the newest
        # frontier are all known; below it, some partition has not been read yet.
        floor = max(frontiers, default=_LOWEST)
        rows = sorted(
            (item for read in reads for item in read.items if item["list_at"] >= floor),
            key=lambda item: item["list_at"],
            reverse=True,
        )
        page = rows[:limit]
        if len(rows) > limit:
            return page, _position(page[-1]["list_at"])
        return page, _position(floor) if frontiers else None

    def _read(self, partition: str, low: str, high: str, where: _Filter, need: int) -> _Read:
        """Up to ``need`` matching items of one partition, newest first, within the budget."""
        if low > high:
            return _Read([], None)
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX.name,
            "KeyConditionExpression": "list_pk = :pk AND list_at BETWEEN :low AND :high",
            "ScanIndexForward": False,
        }
        values = {":pk": partition, ":low": low, ":high": high, **where.values}
        arguments["ExpressionAttributeValues"] = to_item(values)
        if where.clauses:
            arguments["FilterExpression"] = " AND ".join(where.clauses)
        if where.names:
            arguments["ExpressionAttributeNames"] = where.names
        found: list[dict[str, Any]] = []
        spent = 0
        while True:
            ask = min(max(need - len(found), _MIN_READ), self._budget - spent)
            with dynamodb_errors():
                response = self._client.query(**arguments, Limit=ask)
            spent += int(response.get("ScannedCount", ask))
            found += [from_item(raw) for raw in response["Items"]]
            last = response.get("LastEvaluatedKey")
            if last is None:
                return _Read(found, None)
            if len(found) >= need or spent >= self._budget:
                return _Read(found, str(from_item(last)["list_at"]))
            arguments["ExclusiveStartKey"] = last


def _just_before(position: str) -> str:
    """The greatest bound below ``position`` for BETWEEN: every list_at has the same layout,
    so lowering its last character and appending the highest one excludes it and nothing
    before it."""
    return position[:-1] + chr(ord(position[-1]) - 1) + "~"


def _position(list_at: str) -> Position:
    instant, _, item_id = list_at.partition("#")
    return Position(datetime.fromisoformat(instant.replace("Z", "+00:00")), item_id)


def _at(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    return datetime.fromisoformat(value) if value else None


def _incident_summary(item: dict[str, Any]) -> IncidentSummary:
    return IncidentSummary(
        incident_id=item["incident_id"],
        status=IncidentStatus(item["status"]),
        title=item["title"],
        type=item["type"],
        severity=Severity(item["severity"]),
        exercise=item["event_status"] != EventStatus.ACTUAL.value,
        plan_id=item["plan_id"],
        rule_id=item["rule_id"],
        opened_at=datetime.fromisoformat(item["opened_at"]),
        resolved_at=_at(item, "resolved_at"),
        first_sent_at=_at(item, "first_sent_at"),
    )


def _event_summary(item: dict[str, Any]) -> EventSummary:
    return EventSummary(
        event_id=item["event_id"],
        status=DecisionOutcome(item["outcome"]),
        source=item["source"],
        type=item["type"],
        severity=Severity(item["severity"]),
        exercise=item["event_status"] != EventStatus.ACTUAL.value,
        received_at=datetime.fromisoformat(item["received_at"]),
        decided_at=_at(item, "decided_at"),
        code=item.get("code"),
        reason=item.get("reason"),
        incident_id=item.get("incident_id"),
    )
