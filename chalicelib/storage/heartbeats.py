"""Heartbeat state in the incidents table, one item per heartbeat::

    HEARTBEAT#<id> / STATE   watched_since, last_ping_at, last_key, pings,
                             missed_at, missed_event_id, version

Every write adds one to ``version``; claiming a miss is conditional on the version read, and
recording or clearing it on ``missed_at``, so a ping racing a tick is never lost and two ticks
never send two triggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.watch.ports import HeartbeatState
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item

BATCH_GET_LIMIT = 100


class DynamoHeartbeatStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def states(self, heartbeat_ids: Sequence[str]) -> dict[str, HeartbeatState]:
        found: dict[str, HeartbeatState] = {}
        for start in range(0, len(heartbeat_ids), BATCH_GET_LIMIT):
            wanted = [
                to_item(keys.heartbeat(i)) for i in heartbeat_ids[start : start + BATCH_GET_LIMIT]
            ]
            pending: dict[str, Any] = {self._table: {"Keys": wanted, "ConsistentRead": True}}
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_get_item(RequestItems=pending)
                for item in response["Responses"].get(self._table, []):
                    state = _state(from_item(item))
                    found[state.heartbeat_id] = state
                pending = response.get("UnprocessedKeys") or {}
        return found

    def watch(self, heartbeat_id: str, now: datetime) -> HeartbeatState:
        return self._update(
            heartbeat_id,
            "SET heartbeat_id = :id, watched_since = if_not_exists(watched_since, :now) "
            "ADD version :one",
            {":now": now.isoformat()},
        )

    def ping(self, heartbeat_id: str, now: datetime, key_name: str) -> HeartbeatState:
        return self._update(
            heartbeat_id,
            "SET heartbeat_id = :id, watched_since = if_not_exists(watched_since, :now), "
            "last_ping_at = :now, last_key = :key ADD pings :one, version :one",
            {":now": now.isoformat(), ":key": key_name},
        )

    def mark_missed(self, heartbeat_id: str, seen_version: int, now: datetime) -> bool:
        return self._conditional(
            heartbeat_id,
            "SET missed_at = :now REMOVE missed_event_id ADD version :one",
            "version = :seen AND attribute_not_exists(missed_at)",
            {":now": now.isoformat(), ":seen": seen_version},
        )

    def missed_sent(self, heartbeat_id: str, missed_at: datetime, event_id: str) -> bool:
        return self._conditional(
            heartbeat_id,
            "SET missed_event_id = :event ADD version :one",
            "missed_at = :at",
            {":at": missed_at.isoformat(), ":event": event_id},
        )

    def clear_missed(self, heartbeat_id: str, missed_at: datetime) -> bool:
        return self._conditional(
            heartbeat_id,
            "REMOVE missed_at, missed_event_id ADD version :one",
            "missed_at = :at",
            {":at": missed_at.isoformat()},
        )

    def _update(self, heartbeat_id: str, expression: str, values: dict[str, Any]) -> HeartbeatState:
        with dynamodb_errors():
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.heartbeat(heartbeat_id)),
                UpdateExpression=expression,
                ExpressionAttributeValues=to_item({**values, ":id": heartbeat_id, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        return _state(from_item(response["Attributes"]))

    def _conditional(
        self, heartbeat_id: str, expression: str, condition: str, values: dict[str, Any]
    ) -> bool:
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.heartbeat(heartbeat_id)),
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=to_item({**values, ":one": 1}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _state(values: dict[str, Any]) -> HeartbeatState:
    def instant(name: str) -> datetime | None:
        text = values.get(name)
        return datetime.fromisoformat(text) if text else None

    watched = instant("watched_since")
    assert watched is not None, "every write sets watched_since"
    return HeartbeatState(
        heartbeat_id=str(values["heartbeat_id"]),
        watched_since=watched,
        last_ping_at=instant("last_ping_at"),
        last_key=values.get("last_key"),
        pings=int(values.get("pings", 0)),
        missed_at=instant("missed_at"),
        missed_event_id=values.get("missed_event_id"),
        version=int(values.get("version", 0)),
    )
