"""Received events and their decisions, in the incidents table.

An event is kept for the playbook's ``events`` period from its decision (until then, for the
default period from its arrival: accepting an event never waits for the playbook), and reads
treat an expired one as gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.activation.ports import EventRecord, RateCharge
from chalicelib.core.events import event_to_document
from chalicelib.core.json_text import compact_json
from chalicelib.core.model import DecisionOutcome, ReceivedEvent
from chalicelib.core.playbook.retention import Retention
from chalicelib.core.queue_messages import decode_received, encode_received
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.guards import DynamoRateLimiter
from chalicelib.storage.retention import EXPIRES_AT, Lifetimes, epoch, is_expired
from chalicelib.storage.tables import DUE_INDEX

PENDING_RETENTION = Retention().events  # until the decision sets the playbook's period
_TRANSACTION_ITEMS = 100  # TransactWriteItems' most actions


class DynamoEventStore:
    """``rates``: counts a request's events against its key's rate in the write that records
    them (``record_all``)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        lifetimes: Lifetimes | None = None,
        rates: DynamoRateLimiter | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lifetimes = lifetimes or Lifetimes()
        self._rates = rates or DynamoRateLimiter(client, table_name)

    def record_received(self, received: ReceivedEvent) -> None:
        with dynamodb_errors():
            self._client.put_item(**self._recording(received))

    def record_all(self, received: Sequence[ReceivedEvent], charge: RateCharge | None) -> None:
        """One transaction: the rate's count and the first 99 events (a request rarely has
        more; the rest go 100 a transaction: if one of those fails, the caller forgets the
        events, as for any failure after recording)."""
        if charge is None and len(received) == 1:
            self.record_received(received[0])
            return
        writes: list[dict[str, Any]] = [{"Put": self._recording(item)} for item in received]
        if charge is not None:
            writes.insert(0, {"Update": self._rates.counting(charge, received[0].received_at)})
        for start in range(0, len(writes), _TRANSACTION_ITEMS):
            try:
                with dynamodb_errors():
                    self._client.transact_write_items(
                        TransactItems=writes[start : start + _TRANSACTION_ITEMS]
                    )
            except ClientError as error:
                reasons: list[Any] = list(error.response.get("CancellationReasons") or [{}])
                if charge is not None and start == 0 and _refused(reasons[0]):
                    raise charge.refused(received[0].received_at) from None
                raise

    def _recording(self, received: ReceivedEvent) -> dict[str, Any]:
        item = to_item(
            {
                **keys.event(received.event_id),
                **keys.event_listing(
                    DecisionOutcome.PENDING.value, received.received_at, received.event_id
                ),
                "event_id": received.event_id,
                "received_at": received.received_at.isoformat(),
                "outcome": DecisionOutcome.PENDING.value,
                # What the lists show and filter on, beside the whole event below.
                "source": received.event.source,
                "type": received.event.type,
                "severity": received.event.severity.value,
                "event_status": received.event.status.value,
                # Compact and UTF-8 as accepted: what fit the body's limit fits the item's.
                "event": compact_json(event_to_document(received.event)),
                "format": received.format,
                "original": None if received.original is None else compact_json(received.original),
                EXPIRES_AT: epoch(received.received_at + PENDING_RETENTION),
                # Not yet queued: in the sparse index under its own partition until the intake
                # marks it queued or it is decided (``unqueued``).
                "due_pk": keys.UNQUEUED_PARTITION,
                "due_at": received.received_at.isoformat(),
            }
        )
        return {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }

    def mark_queued(self, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.event(event_id)),
                    UpdateExpression="REMOVE due_pk, due_at",
                    ConditionExpression="attribute_exists(pk)",
                )

    def unqueued(self, received_before: datetime, limit: int = 100) -> list[str]:
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=DUE_INDEX.name,
                KeyConditionExpression="due_pk = :unqueued AND due_at < :before",
                ExpressionAttributeValues=to_item(
                    {":unqueued": keys.UNQUEUED_PARTITION, ":before": received_before.isoformat()}
                ),
                Limit=limit,
            )
        return [str(from_item(item)["pk"]).removeprefix("EVENT#") for item in response["Items"]]

    def forget(self, event_id: str) -> None:
        with dynamodb_errors():
            self._client.delete_item(TableName=self._table, Key=to_item(keys.event(event_id)))

    def get(self, event_id: str) -> EventRecord | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.event(event_id)), ConsistentRead=True
            )
        if "Item" not in response:
            return None
        item = from_item(response["Item"])
        if is_expired(item, self._lifetimes.now()):
            return None
        return EventRecord(
            event_id=item["event_id"],
            received_at=datetime.fromisoformat(item["received_at"]),
            outcome=DecisionOutcome(item["outcome"]),
            code=item.get("code"),
            reason=item.get("reason"),
            incident_id=item.get("incident_id"),
            decided_at=datetime.fromisoformat(item["decided_at"]) if "decided_at" in item else None,
            decide_at=datetime.fromisoformat(item["decide_at"]) if "decide_at" in item else None,
        )

    def record_decision(
        self,
        event_id: str,
        outcome: DecisionOutcome,
        code: str,
        reason: str,
        now: datetime,
        incident_id: str | None = None,
    ) -> bool:
        update = decision_update(
            self._table,
            event_id,
            outcome,
            code,
            reason,
            now,
            incident_id,
            only_if_pending=True,
            expires_at=epoch(now + self._lifetimes.retention().events),
        )
        try:
            with dynamodb_errors():
                self._client.update_item(**update)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def hold(
        self, received: ReceivedEvent, code: str, reason: str, now: datetime, decide_at: datetime
    ) -> bool:
        """Outcome ``held``, in the due index (its own partition) until ``decide_at``, with the
        event as queued (its namespace too) and its scoped dedup key, to be decided then; a
        held event may be held again (its rule's hours changed meanwhile)."""
        values = {
            ":o": DecisionOutcome.HELD.value,
            ":list": keys.event_list_partition(DecisionOutcome.HELD.value),
            ":c": code,
            ":r": reason,
            ":decide": decide_at.isoformat(),
            ":due_pk": keys.HELD_DUE_PARTITION,
            # In UTC: the index compares text, and decide_at is in the rule's time zone.
            ":due_at": f"{decide_at.astimezone(UTC).isoformat()}#{received.event_id}",
            ":held": encode_received(received),
            ":key": received.scoped_dedup_key,
            ":expires": epoch(decide_at + self._lifetimes.retention().events),
            ":pending": DecisionOutcome.PENDING.value,
            ":failed": DecisionOutcome.FAILED.value,
        }
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.event(received.event_id)),
                    UpdateExpression="SET outcome = :o, list_pk = :list, code = :c, reason = :r, "
                    "decide_at = :decide, due_pk = :due_pk, due_at = :due_at, held = :held, "
                    f"held_key = :key, {EXPIRES_AT} = :expires",
                    ConditionExpression="outcome IN (:pending, :failed, :o)",
                    ExpressionAttributeValues=to_item(values),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def held_due(self, now: datetime, limit: int = 100) -> list[ReceivedEvent]:
        """The index holds keys only (and is eventually consistent): each is read again."""
        found = []
        for item in self._held(f"{now.astimezone(UTC).isoformat()}#~", limit):
            found.append(decode_received(item["held"]))
        return found

    def held_for(self, scoped_dedup_key: str) -> list[str]:
        """Held events are few (those waiting for a window): all are read and compared."""
        return sorted(
            item["event_id"]
            for item in self._held("~", 1000)
            if item.get("held_key") == scoped_dedup_key
        )

    def _held(self, before: str, limit: int) -> list[dict[str, Any]]:
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=DUE_INDEX.name,
                KeyConditionExpression="due_pk = :due AND due_at <= :before",
                ExpressionAttributeValues=to_item(
                    {":due": keys.HELD_DUE_PARTITION, ":before": before}
                ),
                Limit=limit,
            )
        items = []
        for key in response["Items"]:
            with dynamodb_errors():
                read = self._client.get_item(
                    TableName=self._table,
                    Key=to_item({"pk": from_item(key)["pk"], "sk": from_item(key)["sk"]}),
                    ConsistentRead=True,
                )
            item = from_item(read["Item"]) if "Item" in read else None
            if item is not None and item.get("outcome") == DecisionOutcome.HELD.value:
                items.append(item)
        return items


def decision_update(
    table: str,
    event_id: str,
    outcome: DecisionOutcome,
    code: str,
    reason: str,
    at: datetime,
    incident_id: str | None = None,
    only_if_pending: bool = False,
    expires_at: int | None = None,
) -> dict[str, Any]:
    """The ``UpdateItem`` that records an event's decision: for ``update_item(**...)`` or, as
    ``{"Update": ...}``, inside the transaction that opens or resolves its incident; with
    ``expires_at``, how long the event is kept from now on."""
    values: dict[str, Any] = {
        ":o": outcome.value,
        ":list": keys.event_list_partition(outcome.value),
        ":c": code,
        ":r": reason,
        ":at": at.isoformat(),
    }
    expression = "SET outcome = :o, list_pk = :list, code = :c, reason = :r, decided_at = :at"
    if expires_at is not None:
        expression += f", {EXPIRES_AT} = :expires"
        values[":expires"] = expires_at
    if incident_id is not None:
        expression += ", incident_id = :i"
        values[":i"] = incident_id
    expression += " REMOVE due_pk, due_at, held, held_key"  # a held event leaves the index
    update: dict[str, Any] = {
        "TableName": table,
        "Key": to_item(keys.event(event_id)),
        "UpdateExpression": expression,
    }
    if only_if_pending:
        # An event that failed to be decided may be decided after all (redriven after a fix);
        # a held one is decided when its window opens.
        update["ConditionExpression"] = "outcome IN (:pending, :failed, :held)"
        values[":pending"] = DecisionOutcome.PENDING.value
        values[":failed"] = DecisionOutcome.FAILED.value
        values[":held"] = DecisionOutcome.HELD.value
    update["ExpressionAttributeValues"] = to_item(values)
    return update


def _refused(reason: Any) -> bool:
    """The transaction's first action (the rate's count) found the window full."""
    return bool(reason.get("Code") == "ConditionalCheckFailed")
