"""Opsgenie alerts and their requests, in the incidents table::

    OGALERTS#<sender> / <created>#<id>  the alert (JSON), version, expires_at
    OGALERT#<id> / ID                   where the alert is: sender, sort key
    OGTINY#<tiny> / ID                  the same, by tiny id
    OGALIAS#<hash(sender, alias)>       the latest alert with that alias, and where it is
    OGTINY / COUNTER                    the last tiny id given
    OGREQUEST#<id> / REQUEST            a request and what it did (expires)

Opening an alert is one transaction, conditional on the alias still naming the alert read
(or none), so two creates with one alias never open two alerts:

    create ─▶ alias names closed alert a (or none) ─▶ put alert b + pointers + alias=b if alias=a
    create ─▶ alias names open alert b ─▶ count it: put b (version v+1) if version = v
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.dropin.alerts import ALERT_RETENTION, REQUEST_RETENTION
from chalicelib.core.dropin.ports import Alert, AlertNote, AlertRequest, AlertStatus
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item


class DynamoAlertStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, alert_id: str) -> Alert | None:
        return self._follow(keys.alert_by_id(alert_id))

    def by_tiny_id(self, tiny_id: str) -> Alert | None:
        return self._follow(keys.alert_by_tiny_id(tiny_id))

    def latest_by_alias(self, sender: str, alias: str) -> Alert | None:
        return self._follow(keys.alert_by_alias(sender, alias))

    def next_tiny_id(self) -> str:
        with dynamodb_errors():
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.tiny_id_counter()),
                UpdateExpression="ADD last_given :one",
                ExpressionAttributeValues=to_item({":one": 1}),
                ReturnValues="UPDATED_NEW",
            )
        return str(from_item(response["Attributes"])["last_given"])

    def add(self, alert: Alert, replacing: str | None) -> bool:
        where = _where(alert)
        alias_condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if replacing is None
            else {
                "ConditionExpression": "alert_id = :replacing",
                "ExpressionAttributeValues": to_item({":replacing": replacing}),
            }
        )
        writes = [
            self._put(_alert_item(alert, alert.version), "attribute_not_exists(pk)"),
            self._put({**keys.alert_by_id(alert.alert_id), **where}, "attribute_not_exists(pk)"),
            self._put({**keys.alert_by_tiny_id(alert.tiny_id), **where}),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({**keys.alert_by_alias(alert.sender, alert.alias), **where}),
                    **alias_condition,
                }
            },
        ]
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                return False
            raise
        return True

    def save(self, alert: Alert, seen_version: int) -> bool:
        try:
            with dynamodb_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(_alert_item(alert, seen_version + 1)),
                    ConditionExpression="version = :seen",
                    ExpressionAttributeValues=to_item({":seen": seen_version}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def created_between(
        self, sender: str, start: datetime | None, end: datetime | None, newest_first: bool
    ) -> Iterator[Alert]:
        low = keys.sortable_time(start) if start else "0"
        high = keys.sortable_time(end) if end else "~"
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.alerts_partition(sender), ":low": low, ":high": high}
            ),
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        for item in all_items(self._client, "query", arguments):
            if str(item["sk"]) < high:  # BETWEEN includes its end; the range here does not
                yield _alert_from_item(item)

    def _follow(self, pointer: dict[str, str]) -> Alert | None:
        found = self._get(pointer)
        if found is None:
            return None
        item = self._get({"pk": keys.alerts_partition(found["sender"]), "sk": found["alert_sk"]})
        return _alert_from_item(item) if item else None

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(key), ConsistentRead=True
            )
        return from_item(response["Item"]) if "Item" in response else None

    def _put(self, values: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}


class DynamoRequestLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, request: AlertRequest) -> None:
        item = {
            **keys.alert_request(request.request_id),
            "request": json.dumps(
                {
                    "request_id": request.request_id,
                    "sender": request.sender,
                    "action": request.action,
                    "at": request.at.isoformat(),
                    "alert_id": request.alert_id,
                    "alias": request.alias,
                    "status": request.status,
                    "success": request.success,
                    "event_id": request.event_id,
                }
            ),
            "expires_at": int((request.at + REQUEST_RETENTION).timestamp()),
        }
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def get(self, request_id: str) -> AlertRequest | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.alert_request(request_id))
            )
        if "Item" not in response:
            return None
        values = json.loads(from_item(response["Item"])["request"])
        return AlertRequest(**{**values, "at": datetime.fromisoformat(values["at"])})


def _where(alert: Alert) -> dict[str, Any]:
    key = keys.alert(alert.sender, keys.sortable_time(alert.created_at), alert.alert_id)
    return {"alert_id": alert.alert_id, "sender": alert.sender, "alert_sk": key["sk"]}


def _alert_item(alert: Alert, version: int) -> dict[str, Any]:
    document = {
        "alert_id": alert.alert_id,
        "tiny_id": alert.tiny_id,
        "sender": alert.sender,
        "alias": alert.alias,
        "dedup_key": alert.dedup_key,
        "event_type": alert.event_type,
        "message": alert.message,
        "priority": alert.priority,
        "created_at": alert.created_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
        "status": alert.status.value,
        "acknowledged": alert.acknowledged,
        "count": alert.count,
        "description": alert.description,
        "entity": alert.entity,
        "source": alert.source,
        "tags": list(alert.tags),
        "details": dict(alert.details),
        "responders": [dict(responder) for responder in alert.responders],
        "actions": list(alert.actions),
        "notes": [
            {"at": n.at.isoformat(), "text": n.text, "user": n.user, "source": n.source}
            for n in alert.notes
        ],
        "acknowledged_at": _time(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "closed_at": _time(alert.closed_at),
        "closed_by": alert.closed_by,
        "last_occurred_at": _time(alert.last_occurred_at),
        "event_ids": list(alert.event_ids),
    }
    return {
        **keys.alert(alert.sender, keys.sortable_time(alert.created_at), alert.alert_id),
        "alert": json.dumps(document),
        "version": version,
        "expires_at": int((alert.updated_at + ALERT_RETENTION).timestamp()),
    }


def _alert_from_item(item: dict[str, Any]) -> Alert:
    values = json.loads(item["alert"])
    return Alert(
        **{
            **values,
            "created_at": datetime.fromisoformat(values["created_at"]),
            "updated_at": datetime.fromisoformat(values["updated_at"]),
            "status": AlertStatus(values["status"]),
            "tags": tuple(values["tags"]),
            "responders": tuple(values["responders"]),
            "actions": tuple(values["actions"]),
            "notes": tuple(
                AlertNote(datetime.fromisoformat(n["at"]), n["text"], n["user"], n["source"])
                for n in values["notes"]
            ),
            "acknowledged_at": _parse(values["acknowledged_at"]),
            "closed_at": _parse(values["closed_at"]),
            "last_occurred_at": _parse(values["last_occurred_at"]),
            "event_ids": tuple(values["event_ids"]),
        },
        version=int(item["version"]),
    )


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
