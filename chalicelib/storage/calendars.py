"""Personal calendar links, stored only as digests (config table).

CALENDAR#<sha256 of the token> / CALENDAR   {contact_id, created_at, expires_at, revoked_at?}
CALENDARS#<contact id>         / CURRENT    {digest}: the person's link in force

Issuing writes the new link and moves the pointer in one transaction, revoking the link the
pointer named; the move is conditional on the pointer read, so two issued at once cannot both
stay working (one fails with Conflict). Revoked and expired links are kept, so
that they answer 410 rather than 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import Conflict
from chalicelib.core.oncall.calendar import CalendarToken
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item


class DynamoCalendarTokens:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def issue(self, token: CalendarToken) -> None:
        previous = self._current(token.contact_id)
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.calendar_token(token.digest),
                            "contact_id": token.contact_id,
                            "created_at": token.created_at.isoformat(),
                            "expires_at": token.expires_at.isoformat(),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {**keys.calendar_owner(token.contact_id), "digest": token.digest}
                    ),
                    **_still_pointing_at(previous),
                }
            },
        ]
        if previous is not None:
            writes.append(self._revocation(previous, token.created_at))
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise Conflict(
                    "another calendar link was issued for this person at the same time; ask again"
                ) from None
            raise

    def find(self, digest: str) -> CalendarToken | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.calendar_token(digest)),
                ConsistentRead=True,
            )
        if "Item" not in response:
            return None
        item = from_item(response["Item"])
        revoked = item.get("revoked_at")
        return CalendarToken(
            digest=digest,
            contact_id=str(item["contact_id"]),
            created_at=datetime.fromisoformat(item["created_at"]),
            expires_at=datetime.fromisoformat(item["expires_at"]),
            revoked_at=datetime.fromisoformat(revoked) if revoked else None,
        )

    def revoke(self, contact_id: str, now: datetime) -> bool:
        current = self._current(contact_id)
        if current is None:
            return False
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=[
                    self._revocation(current, now),
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": to_item(keys.calendar_owner(contact_id)),
                        }
                    },
                ]
            )
        return True

    def _current(self, contact_id: str) -> str | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.calendar_owner(contact_id)),
                ConsistentRead=True,
            )
        return str(response["Item"]["digest"]["S"]) if "Item" in response else None

    def _revocation(self, digest: str, now: datetime) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.calendar_token(digest)),
                "UpdateExpression": "SET revoked_at = if_not_exists(revoked_at, :now)",
                "ExpressionAttributeValues": to_item({":now": now.isoformat()}),
            }
        }


def _still_pointing_at(previous: str | None) -> dict[str, Any]:
    if previous is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "digest = :previous",
        "ExpressionAttributeValues": to_item({":previous": previous}),
    }
