"""Who read, saved or erased each contact, in the contacts table (never the data itself).

AUDIT#<contact> / <at>#<ulid>   action, by, via, at; expires after the playbook's audit period

A save writes its record in the same transaction as the contact (:func:`access_put`), so a
change is never without its record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.ids import new_ulid
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, to_item
from chalicelib.storage.retention import EXPIRES_AT, epoch, not_expired_filter


def access_item(record: AccessRecord) -> dict[str, Any]:
    return {
        **keys.access_record(record.contact_id, record.at, new_ulid(record.at)),
        **record.to_document(),
        EXPIRES_AT: epoch(record.keep_until),
    }


def access_put(table: str, record: AccessRecord) -> dict[str, Any]:
    """A TransactWriteItems ``Put`` of the record, beside the change it records."""
    return {"Put": {"TableName": table, "Item": to_item(access_item(record))}}


class DynamoAccessLog:
    def __init__(
        self, client: Any, table_name: str, now: Callable[[], datetime] | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._now = now or (lambda: datetime.now(UTC))

    def record(self, entry: AccessRecord) -> None:
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(access_item(entry)))

    def for_contact(self, contact_id: str) -> list[AccessRecord]:
        expiry = not_expired_filter(self._now())
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": expiry["FilterExpression"],
            "ExpressionAttributeNames": expiry["ExpressionAttributeNames"],
            "ExpressionAttributeValues": {
                **to_item({":pk": keys.access_partition(contact_id)}),
                **expiry["ExpressionAttributeValues"],
            },
            "ConsistentRead": True,
        }
        return [
            AccessRecord.from_document(item, datetime.fromtimestamp(int(item[EXPIRES_AT]), UTC))
            for item in all_items(self._client, "query", arguments)
        ]
