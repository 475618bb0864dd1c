"""Change events and their senders' incidents, in the incidents table (all expire)::

CHANGES#<sender> / <received>#<id>          a change event (JSON)
KEYSENDER#<scoped dedup key> / SENDER        the sender that triggers with that key
SENDERINCIDENTS#<sender> / INCIDENT#<id>     an incident of the sender's, until resolved
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.core.dropin.changes import CHANGE_RETENTION
from chalicelib.core.dropin.ports import ChangeEvent
from chalicelib.core.model import Link
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, from_item, to_item


class DynamoChangeStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def remember(self, sender: str, dedup_key: str, at: datetime) -> None:
        self._put({**keys.dedup_key_sender(dedup_key), "sender": sender}, at)

    def sender_of(self, dedup_key: str) -> str | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.dedup_key_sender(dedup_key)),
                ConsistentRead=True,
            )
        return str(from_item(response["Item"])["sender"]) if "Item" in response else None

    def add_incident(self, sender: str, incident_id: str, at: datetime) -> None:
        self._put({**keys.sender_incident(sender, incident_id), "incident_id": incident_id}, at)

    def incidents(self, sender: str) -> list[str]:
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.sender_incidents_partition(sender)}),
            "ConsistentRead": True,
        }
        return [str(item["incident_id"]) for item in all_items(self._client, "query", arguments)]

    def forget_incident(self, sender: str, incident_id: str) -> None:
        with dynamodb_errors():
            self._client.delete_item(
                TableName=self._table, Key=to_item(keys.sender_incident(sender, incident_id))
            )

    def record(self, change: ChangeEvent) -> None:
        document = {
            "change_id": change.change_id,
            "sender": change.sender,
            "summary": change.summary,
            "received_at": change.received_at.isoformat(),
            "occurred_at": change.occurred_at.isoformat() if change.occurred_at else None,
            "source": change.source,
            "custom_details": dict(change.custom_details),
            "links": [{"href": link.href, "text": link.text} for link in change.links],
        }
        key = keys.change(change.sender, keys.sortable_time(change.received_at), change.change_id)
        self._put({**key, "change": json.dumps(document, default=str)}, change.received_at)

    def changes(self, sender: str, start: datetime, end: datetime) -> list[ChangeEvent]:
        low, high = keys.sortable_time(start), keys.sortable_time(end)
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.changes_partition(sender), ":low": low, ":high": high}
            ),
            "ConsistentRead": True,
        }
        return [
            _change(json.loads(item["change"]))
            for item in all_items(self._client, "query", arguments)
            if str(item["sk"]) < high
        ]

    def _put(self, values: dict[str, Any], at: datetime) -> None:
        item = {**values, "expires_at": int((at + CHANGE_RETENTION).timestamp())}
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(item))


def _change(values: dict[str, Any]) -> ChangeEvent:
    occurred = values.get("occurred_at")
    return ChangeEvent(
        change_id=values["change_id"],
        sender=values["sender"],
        summary=values["summary"],
        received_at=datetime.fromisoformat(values["received_at"]),
        occurred_at=datetime.fromisoformat(occurred) if occurred else None,
        source=values.get("source"),
        custom_details=values.get("custom_details") or {},
        links=tuple(Link(link["href"], link.get("text", "")) for link in values.get("links", [])),
    )
