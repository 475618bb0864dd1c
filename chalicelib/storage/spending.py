"""Budget counters in the incidents table: one item per meter and hour, counted atomically.

    take(asks) ─▶ UpdateItem ADD messages :n, units :u
                  IF (no count yet OR messages <= limit - n) AND (... units <= limit - u)
               ─▶ refused: DynamoDB returns the count it saw (ReturnValuesOnConditionCheckFailure),
                  so the next try asks for exactly what still fits; each try asks for fewer
    take_all   ─▶ the same updates for several meters in one TransactWriteItems; cancelled
                  (one does not fit, or another writer): take for each

No read-then-write: whatever number of dispatchers count at once, the sum never passes the
limit, and each gets a prefix of what it asked for. Counters expire two days after their hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.spend.meter import fit
from chalicelib.core.spend.ports import Take
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, put_if_absent, to_item

COUNTER_RETENTION = timedelta(days=2)


class DynamoSpendCounters:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def take(self, meter: str, window: datetime, asks: Sequence[int], limit: ChannelBudget) -> int:
        want = fit(asks, 0, 0, limit)  # what fits an empty hour: never ask for more
        while want > 0:
            used = self._add(meter, window, want, sum(asks[:want]), limit)
            if used is None:
                return want
            messages, units = used
            want = min(want - 1, fit(asks, messages, units, limit))
        return 0

    def take_all(self, window: datetime, takes: Sequence[Take]) -> list[int]:
        """Every meter's whole ask in one transaction when they all fit (the common case: one
        call for a batch's SMS and email, not one a meter); when one does not, or the
        transaction meets another writer, each meter on its own, as :meth:`take` counts."""
        wants = [fit(t.asks, 0, 0, t.limit) for t in takes]
        asking = [(t, want) for t, want in zip(takes, wants, strict=True) if want > 0]
        if len(asking) > 1:
            updates = [
                {"Update": self._update(t.meter, window, want, sum(t.asks[:want]), t.limit)}
                for t, want in asking
            ]
            try:
                with dynamodb_errors():
                    self._client.transact_write_items(TransactItems=updates)
                return wants
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
        return [self.take(t.meter, window, t.asks, t.limit) for t in takes]

    def claim_page(self, window: datetime, incident_id: str) -> str:
        marker = {
            **keys.release_page(window),
            "incident_id": incident_id,
            "expires_at": int((window + COUNTER_RETENTION).timestamp()),
        }
        if put_if_absent(self._client, self._table, marker):
            return incident_id
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.release_page(window)), ConsistentRead=True
            )
        return str(from_item(response["Item"])["incident_id"])

    def used(self, meter: str, window: datetime) -> tuple[int, int]:
        """(messages, units) counted so far in ``window``."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.spend_counter(meter, window)),
                ConsistentRead=True,
            )
        return _counts(response.get("Item"))

    def _add(
        self, meter: str, window: datetime, messages: int, units: int, limit: ChannelBudget
    ) -> tuple[int, int] | None:
        """Count ``messages`` and ``units`` if they fit; None when counted, else what the
        counter held when it refused."""
        try:
            with dynamodb_errors():
                self._client.update_item(
                    **self._update(meter, window, messages, units, limit),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            seen: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            return _counts(seen)
        return None

    def _update(
        self, meter: str, window: datetime, messages: int, units: int, limit: ChannelBudget
    ) -> dict[str, Any]:
        """The conditional update that counts ``messages`` and ``units`` if they fit."""
        condition = "(attribute_not_exists(messages) OR messages <= :most)"
        values: dict[str, Any] = {
            ":messages": messages,
            ":units": units,
            ":most": limit.messages - messages,
            ":expires": int((window + COUNTER_RETENTION).timestamp()),
        }
        if limit.units is not None:
            condition += " AND (attribute_not_exists(units) OR units <= :most_units)"
            values[":most_units"] = limit.units - units
        return {
            "TableName": self._table,
            "Key": to_item(keys.spend_counter(meter, window)),
            "UpdateExpression": "ADD messages :messages, units :units SET expires_at = :expires",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }


def _counts(item: dict[str, Any] | None) -> tuple[int, int]:
    found = from_item(item) if item else {}
    return int(found.get("messages", 0)), int(found.get("units", 0))
