"""Check-ins in the incidents table.

CHECKIN#<id> / CHECKIN             the check-in (a JSON document) and its version
CHECKIN#<id> / AUDIENCE#00000...   who was asked, with their teams and roles, 2,000 a chunk
CHECKIN#<id> / LATEST#<contact>    the person's answer that counts: written only if no later
                                   one is there (answers may arrive out of order)
CHECKIN#<id> / ANSWER#<at>#<id>    every answer, kept with its time and channel
CHECKINS / OPEN#<id>               the open ones, for the reminder tick; removed on closing

    answer ─▶ ANSWER# put (never overwritten: its key is its own)
           ─▶ LATEST# put if absent or older ──▶ the latest before it (ALL_OLD)
                                           ╰─▶ refused: a later answer counts; it is returned
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.checkins.documents import (
    answer_document,
    answer_from_document,
    checkin_document,
    checkin_from_document,
)
from chalicelib.core.checkins.values import (
    AudienceMember,
    Checkin,
    CheckinAnswer,
    CheckinStatus,
)
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item

AUDIENCE_CHUNK = 2000  # people per audience item: well below DynamoDB's 400 KB an item
_BATCH_GET = 100


class DynamoCheckinStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, checkin: Checkin, audience: Sequence[AudienceMember]) -> None:
        writes = [
            {
                **keys.checkin_audience(checkin.checkin_id, index),
                "members": [
                    [m.contact_id, list(m.teams), list(m.roles), list(m.labels)]
                    for m in audience[start : start + AUDIENCE_CHUNK]
                ],
            }
            for index, start in enumerate(range(0, len(audience), AUDIENCE_CHUNK))
        ]
        writes.append({**keys.open_checkin(checkin.checkin_id), "checkin_id": checkin.checkin_id})
        for item in writes:  # a chunk is large: one at a time
            with dynamodb_errors():
                self._client.put_item(TableName=self._table, Item=to_item(item))
        with dynamodb_errors():
            self._client.put_item(
                TableName=self._table,
                Item=to_item(self._record(checkin)),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def get(self, checkin_id: str) -> Checkin | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.checkin(checkin_id)), ConsistentRead=True
            )
        if "Item" not in response:
            return None
        return checkin_from_document(json.loads(from_item(response["Item"])["document"]))

    def audience(self, checkin_id: str) -> list[AudienceMember]:
        members: list[AudienceMember] = []
        for item in self._query(checkin_id, keys.CHECKIN_AUDIENCE_PREFIX):
            members += [
                AudienceMember(
                    contact_id, tuple(teams), tuple(roles), tuple(labels[0] if labels else ())
                )
                for contact_id, teams, roles, *labels in item["members"]  # labels: since #31
            ]
        return members

    def record(self, checkin_id: str, answer: CheckinAnswer) -> CheckinAnswer | None:
        document = answer_document(answer)
        history = {**keys.checkin_answer(checkin_id, answer.at, answer.answer_id), **document}
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(history))
        latest = {**keys.checkin_latest(checkin_id, answer.contact_id), **document}
        try:
            with dynamodb_errors():
                response = self._client.put_item(
                    TableName=self._table,
                    Item=to_item(latest),
                    ConditionExpression="attribute_not_exists(pk) OR #at <= :at",
                    ExpressionAttributeNames={"#at": "at"},
                    ExpressionAttributeValues=to_item({":at": document["at"]}),
                    ReturnValues="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return self.latest_of(checkin_id, [answer.contact_id]).get(answer.contact_id)
        old = response.get("Attributes")
        return answer_from_document(from_item(old)) if old else None

    def latest(self, checkin_id: str) -> dict[str, CheckinAnswer]:
        found = (
            answer_from_document(i) for i in self._query(checkin_id, keys.CHECKIN_LATEST_PREFIX)
        )
        return {answer.contact_id: answer for answer in found}

    def latest_of(self, checkin_id: str, contact_ids: Sequence[str]) -> dict[str, CheckinAnswer]:
        wanted = sorted(set(contact_ids))
        found: dict[str, CheckinAnswer] = {}
        if len(wanted) == 1:  # one person (an answer, the link page): GetItem
            with dynamodb_errors():
                response = self._client.get_item(
                    TableName=self._table,
                    Key=to_item(keys.checkin_latest(checkin_id, wanted[0])),
                    ConsistentRead=True,
                )
            item = response.get("Item")
            return {wanted[0]: answer_from_document(from_item(item))} if item else {}
        for start in range(0, len(wanted), _BATCH_GET):
            batch = [
                to_item(keys.checkin_latest(checkin_id, c))
                for c in wanted[start : start + _BATCH_GET]
            ]
            pending: dict[str, Any] = {self._table: {"Keys": batch, "ConsistentRead": True}}
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_get_item(RequestItems=pending)
                for raw in response["Responses"].get(self._table, []):
                    answer = answer_from_document(from_item(raw))
                    found[answer.contact_id] = answer
                pending = response.get("UnprocessedKeys") or {}
        return found

    def answers(self, checkin_id: str) -> list[CheckinAnswer]:
        return [
            answer_from_document(i) for i in self._query(checkin_id, keys.CHECKIN_ANSWER_PREFIX)
        ]

    def save(self, checkin: Checkin, seen: int) -> bool:
        try:
            with dynamodb_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(self._record(checkin)),
                    ConditionExpression="#version = :seen",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues=to_item({":seen": seen}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        if checkin.status is CheckinStatus.CLOSED:
            with dynamodb_errors():
                self._client.delete_item(
                    TableName=self._table, Key=to_item(keys.open_checkin(checkin.checkin_id))
                )
        return True

    def open_ids(self) -> list[str]:
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.OPEN_CHECKINS_PK}),
            "ConsistentRead": True,
        }
        return [str(item["checkin_id"]) for item in all_items(self._client, "query", arguments)]

    def _record(self, checkin: Checkin) -> dict[str, Any]:
        return {
            **keys.checkin(checkin.checkin_id),
            "document": json.dumps(checkin_document(checkin)),
            "version": checkin.version,
            "status": checkin.status.value,
        }

    def _query(self, checkin_id: str, prefix: str) -> list[dict[str, Any]]:
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.checkin_partition(checkin_id), ":prefix": prefix}
            ),
            "ConsistentRead": True,
        }
        return list(all_items(self._client, "query", arguments))
