"""The send ledger: one item per (incident, contact, channel, step), claimed before sending.

claim ─▶ item absent ───────────────────────────▶ 'sending' (claimed_at=now)  ─▶ send
      ─▶ 'retryable' (last try failed for now) ─▶ 'sending'                    ─▶ send
      ─▶ 'sending' but claimed before the stale limit (that invocation died)   ─▶ send
      ─▶ 'sending' recently, 'sent' or 'failed' ─▶ refused: somebody else has it, or done
send ok ─▶ 'sent' + message id + timeline entry, in one transaction
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.model import NotificationJob, SendReceipt, TimelineEntry
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, to_item
from chalicelib.storage.incidents import timeline_put

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
RETRYABLE = "retryable"


class DynamoSendLedger:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> bool:
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.send(job)),
                    UpdateExpression="SET #status = :sending, claimed_at = :now, "
                    "contact_id = :contact, channel = :channel "
                    "ADD attempts :one",
                    ConditionExpression="attribute_not_exists(pk) OR #status = :retryable "
                    "OR (#status = :sending AND claimed_at < :stale)",
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
                        }
                    ),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None:
        self._finish(job, SENT, now, entry, message_id=receipt.message_id)

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
        item = response.get("Item")
        return str(item["status"]["S"]) if item else None

    def _finish(
        self,
        job: NotificationJob,
        status: str,
        now: datetime,
        entry: TimelineEntry,
        **extra: str,
    ) -> None:
        assignments = ", ".join(f"{name} = :{name}" for name in extra)
        expression = "SET #status = :status, finished_at = :now" + (
            f", {assignments}" if assignments else ""
        )
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=[
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
                    timeline_put(self._table, job.incident_id, entry),
                ]
            )


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
