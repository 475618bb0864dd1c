"""Which scheduled firings have happened: one conditional write per (schedule, slot)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, put_if_absent, to_item

KEEP_FOR = timedelta(days=8)  # longer than any lookback


class DynamoScheduleSlots:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, schedule_id: str, slot: datetime) -> bool:
        """True the first time a slot is claimed; every later claim is refused."""
        return put_if_absent(
            self._client,
            self._table,
            {
                **keys.schedule_slot(schedule_id, slot),
                "expires_at": int((slot + KEEP_FOR).timestamp()),
            },
        )

    def release(self, schedule_id: str, slot: datetime) -> None:
        """Undo a claim whose event could not be queued, so the next tick tries again."""
        with dynamodb_errors():
            self._client.delete_item(
                TableName=self._table, Key=to_item(keys.schedule_slot(schedule_id, slot))
            )
