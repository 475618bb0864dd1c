"""The send ledger: one item per (incident, contact, channel, step), claimed before sending.

claim ─▶ item absent ───────────────────────────▶ 'sending' (claimed_at=now)  ─▶ CLAIMED: send
      ─▶ 'retryable' (last try failed for now) ─▶ 'sending'                    ─▶ CLAIMED: send
      ─▶ 'held' past the budget (storage/holds.py), for a job released from that very hold
                                                ─▶ 'sending'                    ─▶ CLAIMED: send
      ─▶ 'sending' but claimed before the stale limit (that invocation died, or its ledger
         write failed after AWS accepted) ─▶ 'sending' ─▶ TAKEN_OVER: send, outcome unknown
      ─▶ 'sending' recently ─▶ BUSY (since claimed_at): back to the queue until it is stale
      ─▶ 'sent', 'failed', 'held' (not released from it) or 'cancelled' ─▶ DONE
send ok ─▶ 'sent' + message id + timeline entry + MSG#<message id> pointer, in one transaction
claim_all ─▶ up to 100 claims in one transaction, each only from absent or 'retryable' (or a
      release from its hold); if any finds something else, nothing is written and each job is
      claimed alone as above (the outcome of each is then known: taken over, busy or done)
mark_all_sent ─▶ the writes of mark_sent for 33 jobs a transaction (3 items each, of 100)
delivery event ─▶ MSG#<message id> ─▶ the item's ``delivery`` (delivered, bounced, ...) + timeline

The ledger item and its timeline entries carry the incident's expiry; the message-id pointer is
kept for the playbook's ``message_ids`` period, never past its incident. Reads treat an expired
record as gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.messaging.passes import ResponderPass
from chalicelib.core.messaging.ports import Claim, ClaimOutcome
from chalicelib.core.messaging.receipts import DeliveryReport
from chalicelib.core.model import Channel, Notice, NotificationJob, SendReceipt, TimelineEntry
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.incidents import timeline_put
from chalicelib.storage.responders import DynamoResponderRegistry
from chalicelib.storage.retention import EXPIRES_AT, IncidentExpiries, Lifetimes, is_expired

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
RETRYABLE = "retryable"
HELD = "held"  # past the budget: waits for a person (storage/holds.py)
CANCELLED = "cancelled"  # held, then cancelled: never sent
TRANSACTION_ITEMS = 100  # TransactWriteItems' most actions (and no two on the same item)
_FALL_BACK = frozenset({"TransactionCanceledException", "TransactionConflictException"})


class DynamoSendLedger:
    def __init__(
        self,
        client: Any,
        table_name: str,
        lifetimes: Lifetimes | None = None,
        expiries: IncidentExpiries | None = None,
        registry: DynamoResponderRegistry | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lifetimes = lifetimes or Lifetimes()
        self._expiries = expiries or IncidentExpiries(client, table_name)
        self._registry = registry or DynamoResponderRegistry(
            client, table_name, self._lifetimes, self._expiries
        )

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> Claim:
        expires = self._expiries.of(job.incident_id)
        keep = f", {EXPIRES_AT} = :expires" if expires is not None else ""
        condition = (
            "attribute_not_exists(pk) OR #status = :retryable "
            "OR (#status = :sending AND claimed_at < :stale)"
        )
        released = {}
        if job.hold is not None:  # released by a person: only from that very hold, once
            condition += " OR (#status = :held AND hold_id = :hold)"
            released = {":held": HELD, ":hold": job.hold}
        try:
            with dynamodb_errors():
                response = self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.send(job)),
                    UpdateExpression="SET #status = :sending, claimed_at = :now, "
                    f"contact_id = :contact, channel = :channel, notice = :notice{keep} "
                    "ADD attempts :one",
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=to_item(
                        {
                            ":sending": SENDING,
                            ":retryable": RETRYABLE,
                            ":one": 1,
                            ":now": _millis(now),
                            ":stale": _millis(stale_before),
                            ":contact": job.contact_id,
                            ":channel": job.channel.value,
                            ":notice": job.notice.value,
                            **({":expires": expires} if expires is not None else {}),
                            **released,
                        }
                    ),
                    ReturnValues="ALL_OLD",  # was it 'sending'? Then this is a take-over
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",  # busy, or done?
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            found = from_item(dict(error.response.get("Item") or {}))  # type: ignore[call-overload]
            if found.get("status") == SENDING:
                return Claim(ClaimOutcome.BUSY, _moment(found["claimed_at"]))
            return Claim(ClaimOutcome.DONE)
        before = from_item(response.get("Attributes") or {})
        if before.get("status") == SENDING:
            return Claim(ClaimOutcome.TAKEN_OVER, _moment(before["claimed_at"]))
        return Claim(ClaimOutcome.CLAIMED)

    def claim_all(
        self, jobs: Sequence[NotificationJob], now: datetime, stale_before: datetime
    ) -> list[Claim]:
        """:meth:`claim` for each job, in order: a transaction per 100 when every job is new
        (or retryable, or released); the jobs of a transaction that one of them cancels (or
        that appear twice in it) are claimed one by one."""
        claims: list[Claim] = []
        for start in range(0, len(jobs), TRANSACTION_ITEMS):
            chunk = jobs[start : start + TRANSACTION_ITEMS]
            distinct = len({tuple(keys.send(job).values()) for job in chunk}) == len(chunk)
            if len(chunk) > 1 and distinct and self._claim_together(chunk, now):
                claims += [Claim(ClaimOutcome.CLAIMED)] * len(chunk)
            else:
                claims += [self.claim(job, now, stale_before) for job in chunk]
        return claims

    def claim_all_registering(
        self,
        jobs: Sequence[NotificationJob],
        now: datetime,
        stale_before: datetime,
        passes: Sequence[ResponderPass],
    ) -> list[Claim]:
        """:meth:`claim_all`, and ``passes`` registered in the same transaction as the first
        claims when they fit beside them (one call, not two, before the first message); when
        they do not fit, or that transaction is cancelled (a job not new, another writer), the
        passes are registered on their own first, then the jobs claimed as ``claim_all`` does."""
        writes = self._registry.writes(passes)
        first = jobs[:TRANSACTION_ITEMS]
        distinct = len({tuple(keys.send(job).values()) for job in first}) == len(first)
        fits = first and distinct and len(first) + len(writes) <= TRANSACTION_ITEMS
        if fits and self._claim_together(first, now, writes):
            rest = self.claim_all(jobs[len(first) :], now, stale_before)
            return [Claim(ClaimOutcome.CLAIMED)] * len(first) + rest
        self._registry.register(passes)
        return self.claim_all(jobs, now, stale_before)

    def _claim_together(
        self, jobs: Sequence[NotificationJob], now: datetime, extra: Sequence[Any] = ()
    ) -> bool:
        updates: list[dict[str, Any]] = []
        for job in jobs:
            expires = self._expiries.of(job.incident_id)
            keep = f", {EXPIRES_AT} = :expires" if expires is not None else ""
            condition = "attribute_not_exists(pk) OR #status = :retryable"
            released = {}
            if job.hold is not None:
                condition += " OR (#status = :held AND hold_id = :hold)"
                released = {":held": HELD, ":hold": job.hold}
            values = {
                ":sending": SENDING,
                ":retryable": RETRYABLE,
                ":one": 1,
                ":now": _millis(now),
                ":contact": job.contact_id,
                ":channel": job.channel.value,
                ":notice": job.notice.value,
                **({":expires": expires} if expires is not None else {}),
                **released,
            }
            updates.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item(keys.send(job)),
                        "UpdateExpression": "SET #status = :sending, claimed_at = :now, "
                        f"contact_id = :contact, channel = :channel, notice = :notice{keep} "
                        "ADD attempts :one",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_item(values),
                    }
                }
            )
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=[*updates, *extra])
        except ClientError as error:
            if error_code(error) not in _FALL_BACK:
                raise
            return False  # nothing was written: each is claimed alone
        return True

    def mark_all_sent(
        self, sent: Sequence[tuple[NotificationJob, SendReceipt, TimelineEntry]], now: datetime
    ) -> None:
        """:meth:`mark_sent` for each, 33 a transaction: each job's writes stay together."""
        writes = [self._sent_writes(job, receipt, now, entry) for job, receipt, entry in sent]
        per_call = TRANSACTION_ITEMS // 3
        for start in range(0, len(writes), per_call):
            items = [item for each in writes[start : start + per_call] for item in each]
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=items)

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None:
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=self._sent_writes(job, receipt, now, entry)
            )

    def _sent_writes(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> list[dict[str, Any]]:
        pointer = {
            **keys.sent_message(receipt.message_id),
            "incident_id": job.incident_id,
            "contact_id": job.contact_id,
            "channel": job.channel.value,
            "step": job.step,
            "notice": job.notice.value,
            EXPIRES_AT: self._expiries.capped(
                job.incident_id, now + self._lifetimes.retention().message_ids
            ),
        }
        return self._finish_writes(
            job,
            SENT,
            now,
            entry,
            extra_writes=[{"Put": {"TableName": self._table, "Item": to_item(pointer)}}],
            message_id=receipt.message_id,
        )

    def find_sent(self, message_id: str) -> NotificationJob | None:
        """The job an AWS message id was sent for (delivery events name only the message)."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.sent_message(message_id))
            )
        if "Item" not in response:
            return None
        item = from_item(response["Item"])
        if is_expired(item, self._lifetimes.now()):
            return None
        return NotificationJob(
            item["incident_id"],
            item["contact_id"],
            Channel(item["channel"]),
            int(item["step"]),
            notice=Notice(item.get("notice", Notice.ALERT.value)),
        )

    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        """(contact, channel) of every alert handed to AWS for the incident, each once."""
        found: dict[tuple[str, Channel], None] = {}
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "#status = :sent",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.incident_partition(incident_id),
                    ":prefix": keys.SEND_PREFIX,
                    ":sent": SENT,
                }
            ),
            "ConsistentRead": True,
        }
        now = self._lifetimes.now()
        for item in all_items(self._client, "query", arguments):
            if is_expired(item, now):
                continue
            if item.get("notice", Notice.ALERT.value) == Notice.ALERT.value:
                found[(str(item["contact_id"]), Channel(item["channel"]))] = None
        return list(found)

    def record_delivery(
        self, job: NotificationJob, report: DeliveryReport, entry: TimelineEntry
    ) -> None:
        """The latest delivery news on the ledger item, and on the timeline once per status."""
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(keys.send(job)),
                            "UpdateExpression": "SET delivery = :status, delivery_detail = :detail",
                            "ExpressionAttributeValues": to_item(
                                {":status": report.status.value, ":detail": report.detail}
                            ),
                        }
                    },
                    self._timeline_put(job, entry),
                ]
            )

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None:
        self._finish(
            job,
            RETRYABLE if retryable else FAILED,
            now,
            entry,
            last_error=str(entry.data.get("error", "")),
        )

    def status(self, job: NotificationJob) -> str | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.send(job)), ConsistentRead=True
            )
        item = from_item(response["Item"]) if "Item" in response else None
        if item is None or is_expired(item, self._lifetimes.now()):
            return None
        return str(item["status"])

    def _finish(
        self, job: NotificationJob, status: str, now: datetime, entry: TimelineEntry, **extra: str
    ) -> None:
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=self._finish_writes(job, status, now, entry, None, **extra)
            )

    def _finish_writes(
        self,
        job: NotificationJob,
        status: str,
        now: datetime,
        entry: TimelineEntry,
        extra_writes: list[dict[str, Any]] | None = None,
        **extra: str,
    ) -> list[dict[str, Any]]:
        assignments = ", ".join(f"{name} = :{name}" for name in extra)
        expression = "SET #status = :status, finished_at = :now" + (
            f", {assignments}" if assignments else ""
        )
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.send(job)),
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":status": status,
                            ":now": _millis(now),
                            **{f":{name}": value for name, value in extra.items()},
                        }
                    ),
                }
            },
            self._timeline_put(job, entry),
            *(extra_writes or []),
        ]

    def _timeline_put(self, job: NotificationJob, entry: TimelineEntry) -> dict[str, Any]:
        incident = job.incident_id
        return timeline_put(self._table, incident, entry, self._expiries.of(incident))


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(millis: Any) -> datetime:
    return datetime.fromtimestamp(int(millis) / 1000, UTC)
