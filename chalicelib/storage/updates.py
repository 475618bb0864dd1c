"""When each open incident's next update is due: one item per incident (``INCIDENT#id`` /
``UPDATE#DUE``) in the ``due`` index under its own partition (``UPDATES_DUE``), beside the
escalation deadlines. Taking a deadline deletes it on the condition that it is still the one
read, so two ticks, or a tick racing a posted update, remind at most once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.updates.ports import DueUpdate
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.tables import DUE_INDEX


class DynamoUpdateSchedule:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def set_due(
        self, incident_id: str, due_at: datetime, number: int, only_if_new: bool = False
    ) -> bool:
        item = {
            **keys.update_due(incident_id),
            "due_pk": keys.UPDATES_DUE_PARTITION,
            "due_at": due_at.isoformat(),
            "number": number,
        }
        arguments: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if only_if_new:
            arguments["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            with dynamodb_errors():
                self._client.put_item(**arguments)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def due(self, now: datetime, limit: int = 100) -> list[DueUpdate]:
        """The index holds keys only (and is eventually consistent): each deadline is read
        again from its item."""
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=DUE_INDEX.name,
                KeyConditionExpression="due_pk = :due AND due_at <= :now",
                ExpressionAttributeValues=to_item(
                    {":due": keys.UPDATES_DUE_PARTITION, ":now": now.isoformat()}
                ),
                Limit=limit,
            )
        found = []
        for key in response["Items"]:
            incident_id = str(from_item(key)["pk"]).removeprefix("INCIDENT#")
            with dynamodb_errors():
                read = self._client.get_item(
                    TableName=self._table,
                    Key=to_item(keys.update_due(incident_id)),
                    ConsistentRead=True,
                )
            if "Item" not in read:
                continue
            item = from_item(read["Item"])
            due_at = datetime.fromisoformat(str(item["due_at"]))
            if due_at <= now:
                found.append(DueUpdate(incident_id, due_at, int(item["number"])))
        return found

    def take(self, due: DueUpdate) -> bool:
        try:
            with dynamodb_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key=to_item(keys.update_due(due.incident_id)),
                    ConditionExpression="due_at = :due AND #number = :number",
                    ExpressionAttributeNames={"#number": "number"},
                    ExpressionAttributeValues=to_item(
                        {":due": due.due_at.isoformat(), ":number": due.number}
                    ),
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True
