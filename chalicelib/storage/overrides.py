"""On-call overrides, entered through the API or the CLI (config table).

OVERRIDE#<schedule> / <start>#<override id>  -> {contact_id, covers, start, end, created_by}

Sorted by start, so "which overrides touch [a, b)" is one query; an override lasts at most
MAX_OVERRIDE, which bounds how far back that query looks. They expire 90 days after they end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.errors import NotFound
from chalicelib.core.oncall.coverage import MAX_OVERRIDE
from chalicelib.core.oncall.shifts import Override
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, to_item

_KEEP = timedelta(days=90)


class DynamoOverrideStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, override: Override) -> None:
        item = {
            **keys.override(override.schedule_id, _utc(override.start), override.override_id),
            "override_id": override.override_id,
            "schedule_id": override.schedule_id,
            "contact_id": override.contact_id,
            "covers": override.covers,
            "start": _utc(override.start).isoformat(),
            "end": _utc(override.end).isoformat(),
            "created_by": override.created_by,
            "expires_at": int((override.end + _KEEP).timestamp()),
        }
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def overrides(self, schedule_id: str, start: datetime, end: datetime) -> list[Override]:
        """Every override of the schedule that overlaps [start, end)."""
        found: list[Override] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.override_partition(schedule_id),
                    ":low": _utc(start - MAX_OVERRIDE).isoformat(),
                    ":high": _utc(end).isoformat(),
                }
            ),
            "ConsistentRead": True,
        }
        for item in all_items(self._client, "query", arguments):
            override = _override(item)
            if override.start < end and override.end > start:
                found.append(override)
        return found

    def delete(self, schedule_id: str, override_id: str, around: datetime) -> Override:
        """Remove one override; ``around`` is any instant the search may start from."""
        for override in self.overrides(schedule_id, around - _KEEP, around + _KEEP):
            if override.override_id == override_id:
                with dynamodb_errors():
                    self._client.delete_item(
                        TableName=self._table,
                        Key=to_item(keys.override(schedule_id, _utc(override.start), override_id)),
                    )
                return override
        raise NotFound(f"no override {override_id!r} on schedule {schedule_id!r}")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _override(item: dict[str, Any]) -> Override:
    return Override(
        override_id=item["override_id"],
        schedule_id=item["schedule_id"],
        contact_id=item["contact_id"],
        start=datetime.fromisoformat(item["start"]),
        end=datetime.fromisoformat(item["end"]),
        covers=item.get("covers"),
        created_by=item.get("created_by"),
    )
