"""Heartbeat pings in the incidents table: ``HEARTBEAT#<id> / STATE`` with the attributes the
heartbeat monitoring of issue #24 reads and writes (the same update as its store's ``ping``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item


class DynamoPingStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record_ping(self, heartbeat_id: str, at: datetime, key_name: str) -> int:
        with dynamodb_errors():
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.heartbeat(heartbeat_id)),
                UpdateExpression=(
                    "SET heartbeat_id = :id, watched_since = if_not_exists(watched_since, :now), "
                    "last_ping_at = :now, last_key = :key ADD pings :one, version :one"
                ),
                ExpressionAttributeValues=to_item(
                    {":id": heartbeat_id, ":now": at.isoformat(), ":key": key_name, ":one": 1}
                ),
                ReturnValues="ALL_NEW",
            )
        return int(from_item(response["Attributes"])["pings"])
