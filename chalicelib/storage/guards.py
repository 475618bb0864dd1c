"""Per-key rate limits, signed-request replay detection and the hourly budget of answers texted
back to a number, as conditional writes that expire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.activation.ports import RateCharge, rate_window
from chalicelib.core.errors import AuthenticationFailed
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, put_if_absent, to_item

REPLAY_MEMORY = timedelta(minutes=10)  # longer than the five-minute signature window
REPLY_MEMORY = timedelta(hours=2)  # an hour's window, and then some for clocks that differ


class DynamoRateLimiter:
    """A fixed one-minute window per key, counting events (a request without events counts
    one): ``ADD count :cost`` only while the window still has room for all of them."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def admit(self, key_name: str, limit: int, now: datetime, cost: int = 1) -> None:
        charge = RateCharge(key_name, limit, cost)
        update = self.counting(charge, now)
        try:
            with dynamodb_errors():
                self._client.update_item(**update)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            raise charge.refused(now) from None

    def counting(self, charge: RateCharge, now: datetime) -> dict[str, Any]:
        """The conditional update that counts ``charge`` in ``now``'s window (UpdateItem's
        arguments; with ``TableName``, a transaction's ``Update`` too)."""
        if not 1 <= charge.cost <= charge.limit:
            raise ValueError(f"a cost of {charge.cost} can never fit a limit of {charge.limit}")
        window = rate_window(now)
        return {
            "TableName": self._table,
            "Key": to_item(keys.rate_window(charge.key_name, window)),
            "UpdateExpression": "ADD #count :cost SET expires_at = :expires",
            "ConditionExpression": "attribute_not_exists(#count) OR #count <= :room",
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": to_item(
                {
                    ":cost": charge.cost,
                    ":room": charge.limit - charge.cost,
                    ":expires": int((window + timedelta(minutes=5)).timestamp()),
                }
            ),
        }


class DynamoReplayGuard:
    """Remembers each accepted signature for longer than the window in which it is valid."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def first_use(self, signature_digest: str, now: datetime) -> None:
        if not put_if_absent(
            self._client,
            self._table,
            {
                **keys.signature(signature_digest),
                "expires_at": int((now + REPLAY_MEMORY).timestamp()),
            },
        ):
            raise AuthenticationFailed("this signed request was already received")


class DynamoReplyBudget:
    """One item per number (hashed) and clock hour: ``ADD answered :one`` only while fewer than
    the limit were answered, or, for the hour's first HELP (``helped`` not yet set), at once."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def spend(self, phone: str, hour: datetime, limit: int, first_help: bool = False) -> bool:
        room = "attribute_not_exists(answered) OR answered < :limit"
        values: dict[str, Any] = {
            ":one": 1,
            ":limit": limit,
            ":expires": int((hour + REPLY_MEMORY).timestamp()),
        }
        update = "ADD answered :one SET expires_at = :expires"
        if first_help:
            room = f"({room}) OR attribute_not_exists(helped)"
            update += ", helped = :yes"
            values[":yes"] = True
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.reply_window(phone, hour)),
                    UpdateExpression=update,
                    ConditionExpression=room,
                    ExpressionAttributeValues=to_item(values),
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True
