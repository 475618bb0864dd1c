"""Holds in the incidents table: messages past the budget, waiting for a person.

HOLDS / HOLD#hld_<ulid>        the hold: incident, state, counts per channel, who settled it
INCIDENT#i / HOLD#OPEN         the incident's hold still collecting messages (with the incident's
                               expiry, as every record of it)
INCIDENT#i / SEND#...          each held message's ledger item: status 'held', hold_id

open_hold ─▶ HOLD#OPEN names one ─────────────────────────────────────▶ that hold
          ─▶ none ─▶ put HOLD#OPEN (if absent) + the hold, together ──▶ the new hold
add ─▶ hold still 'held' + each ledger item 'sending' -> 'held' + counts + timeline entry
       (+ the incident still open, for alerts), in one transaction
settle ─▶ 'held' -> 'released' | 'cancelled' + delete HOLD#OPEN, in one transaction
release ─▶ jobs from the ledger items still 'held' ─▶ dispatch queue, marked with the hold
       ─▶ the ledger claims such a job only from 'held' with this hold id: once
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.ids import new_ulid
from chalicelib.core.model import Channel, IncidentStatus, Notice, NotificationJob, TimelineEntry
from chalicelib.core.spend.ports import MAX_HELD_PER_ADD, AddOutcome, HeldMessage, Hold, HoldState
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.incidents import timeline_put
from chalicelib.storage.ledger import CANCELLED, HELD, SENDING
from chalicelib.storage.retention import EXPIRES_AT, IncidentExpiries

HOLD_RETENTION = timedelta(days=90)
_CONFLICT_ATTEMPTS = 5


class DynamoHoldStore:
    def __init__(
        self, client: Any, table_name: str, expiries: IncidentExpiries | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._expiries = expiries or IncidentExpiries(client, table_name)

    def open_hold(self, incident_id: str, now: datetime) -> str:
        for _ in range(3):
            found = self.open_for(incident_id)
            if found is not None:
                return found
            hold_id = f"hld_{new_ulid(now)}"
            item = {
                **keys.hold(hold_id),
                "hold_id": hold_id,
                "incident_id": incident_id,
                "state": HoldState.HELD.value,
                "created_at": now.isoformat(),
                "expires_at": int((now + HOLD_RETENTION).timestamp()),
            }
            pointer = {
                **keys.open_hold(incident_id),
                "hold_id": hold_id,
                EXPIRES_AT: self._expiries.of(incident_id),
            }
            if self._transact([_put(self._table, pointer), _put(self._table, item)]):
                return hold_id
        raise TransientError(f"incident {incident_id}: its hold kept changing; will retry")

    def add(
        self,
        hold_id: str,
        incident_id: str,
        held: Sequence[HeldMessage],
        entry: TimelineEntry,
        require_open: bool,
    ) -> AddOutcome:
        if len(held) > MAX_HELD_PER_ADD:
            raise ValueError(f"at most {MAX_HELD_PER_ADD} messages are held at once")
        writes = [self._count(hold_id, held)]
        writes += [self._held(hold_id, message) for message in held]
        writes.append(timeline_put(self._table, incident_id, entry, self._expiries.of(incident_id)))
        if require_open:
            writes.append(self._incident_open(incident_id))
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                with dynamodb_errors():
                    self._client.transact_write_items(TransactItems=writes)
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return AddOutcome.SETTLED
                if require_open and reasons and reasons[-1] == "ConditionalCheckFailed":
                    return AddOutcome.INCIDENT_CLOSED
                if "TransactionConflict" in reasons:  # another dispatcher adding to this hold
                    time.sleep(0.02 * (attempt + 1))
                    continue
                # A claim was taken over (its invocation seemed dead): retry the batch.
                raise TransientError(f"hold {hold_id}: a claim changed hands; will retry") from None
            return AddOutcome.ADDED
        raise TransientError(f"hold {hold_id}: busy; will retry")

    def get(self, hold_id: str) -> Hold | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.hold(hold_id)), ConsistentRead=True
            )
        return _hold(from_item(response["Item"])) if "Item" in response else None

    def recent(self, state: HoldState | None = None, limit: int = 100) -> list[Hold]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.HOLDS_PK, ":prefix": keys.HOLD_PREFIX}
                | ({":state": state.value} if state else {})
            ),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if state is not None:
            arguments["FilterExpression"] = "#state = :state"
            arguments["ExpressionAttributeNames"] = {"#state": "state"}
        found = []
        for item in all_items(self._client, "query", arguments):
            found.append(_hold(item))
            if len(found) >= limit:
                break
        return found

    def open_for(self, incident_id: str) -> str | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.open_hold(incident_id)), ConsistentRead=True
            )
        return str(from_item(response["Item"])["hold_id"]) if "Item" in response else None

    def settle(self, hold_id: str, state: HoldState, by: str, now: datetime) -> Hold | None:
        hold = self.get(hold_id)
        if hold is None or hold.state is not HoldState.HELD:
            return None
        settle = {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.hold(hold_id)),
                "UpdateExpression": "SET #state = :to, settled_at = :now, settled_by = :by",
                "ConditionExpression": "#state = :held",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":to": state.value,
                        ":now": now.isoformat(),
                        ":by": by,
                        ":held": HoldState.HELD.value,
                    }
                ),
            }
        }
        # The pointer names this hold while it is held; a new hold opens only once it is gone.
        stop_collecting = {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(keys.open_hold(hold.incident_id)),
                "ConditionExpression": "attribute_not_exists(pk) OR hold_id = :id",
                "ExpressionAttributeValues": to_item({":id": hold_id}),
            }
        }
        if not self._transact([settle, stop_collecting]):
            return None
        return self.get(hold_id)

    def held_jobs(self, hold_id: str) -> list[NotificationJob]:
        hold = self.get(hold_id)
        if hold is None:
            return []
        return [_job(item, hold_id) for item in self._held_items(hold.incident_id, hold_id)]

    def mark_queued(self, hold_id: str, now: datetime) -> None:
        with dynamodb_errors():
            self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.hold(hold_id)),
                UpdateExpression="SET queued_at = if_not_exists(queued_at, :now)",
                ExpressionAttributeValues=to_item({":now": now.isoformat()}),
            )

    def cancel_messages(self, hold_id: str, now: datetime) -> int:
        hold = self.get(hold_id)
        if hold is None:
            return 0
        cancelled = 0
        for item in self._held_items(hold.incident_id, hold_id):
            try:
                with dynamodb_errors():
                    self._client.update_item(
                        TableName=self._table,
                        Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
                        UpdateExpression="SET #status = :cancelled, finished_at = :now",
                        ConditionExpression="#status = :held AND hold_id = :hold",
                        ExpressionAttributeNames={"#status": "status"},
                        ExpressionAttributeValues=to_item(
                            {
                                ":cancelled": CANCELLED,
                                ":held": HELD,
                                ":hold": hold_id,
                                ":now": int(now.timestamp() * 1000),
                            }
                        ),
                    )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                continue
            cancelled += 1
        return cancelled

    def _held_items(self, incident_id: str, hold_id: str) -> list[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "#status = :held AND hold_id = :hold",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.incident_partition(incident_id),
                    ":prefix": keys.SEND_PREFIX,
                    ":held": HELD,
                    ":hold": hold_id,
                }
            ),
            "ConsistentRead": True,
        }
        return list(all_items(self._client, "query", arguments))

    def _count(self, hold_id: str, held: Sequence[HeldMessage]) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        for message in held:
            channel = message.job.channel.value
            counts[f"messages_{channel}"] = counts.get(f"messages_{channel}", 0) + 1
            counts[f"units_{channel}"] = counts.get(f"units_{channel}", 0) + message.charge.units
        counts["usd"] = round(sum(message.charge.usd for message in held), 10)
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.hold(hold_id)),
                "UpdateExpression": "ADD " + ", ".join(f"{name} :{name}" for name in counts),
                "ConditionExpression": "#state = :held",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item(
                    {f":{name}": value for name, value in counts.items()}
                    | {":held": HoldState.HELD.value}
                ),
            }
        }

    def _held(self, hold_id: str, message: HeldMessage) -> dict[str, Any]:
        job = message.job
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.send(job)),
                "UpdateExpression": "SET #status = :held, hold_id = :hold, step = :step, "
                "fallbacks = :fallbacks",
                "ConditionExpression": "#status = :sending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":held": HELD,
                        ":sending": SENDING,
                        ":hold": hold_id,
                        ":step": job.step,
                        ":fallbacks": [channel.value for channel in job.fallbacks],
                    }
                ),
            }
        }

    def _incident_open(self, incident_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": to_item(keys.incident(incident_id)),
                "ConditionExpression": "#status = :open",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_item({":open": IncidentStatus.OPEN.value}),
            }
        }

    def _transact(self, writes: list[dict[str, Any]]) -> bool:
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                return False
            raise
        return True


def _put(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _hold(item: dict[str, Any]) -> Hold:
    messages: dict[Channel, int] = {}
    units: dict[Channel, int] = {}
    for channel in Channel:
        if f"messages_{channel.value}" in item:
            messages[channel] = int(item[f"messages_{channel.value}"])
            units[channel] = int(item.get(f"units_{channel.value}", 0))
    settled_at = item.get("settled_at")
    return Hold(
        hold_id=item["hold_id"],
        incident_id=item["incident_id"],
        state=HoldState(item["state"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        messages=messages,
        units=units,
        estimated_usd=float(item.get("usd", 0)),
        settled_at=datetime.fromisoformat(settled_at) if settled_at else None,
        settled_by=item.get("settled_by"),
        queued="queued_at" in item,
    )


def _job(item: dict[str, Any], hold_id: str) -> NotificationJob:
    return NotificationJob(
        incident_id=str(item["pk"]).removeprefix("INCIDENT#"),
        contact_id=str(item["contact_id"]),
        channel=Channel(item["channel"]),
        step=int(item.get("step", 0)),
        fallbacks=tuple(Channel(name) for name in item.get("fallbacks", [])),
        notice=Notice(item.get("notice", Notice.ALERT.value)),
        hold=hold_id,
    )
