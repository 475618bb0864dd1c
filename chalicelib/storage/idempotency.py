"""Requests by their ``Idempotency-Key`` (incidents table, ``IDEMPOTENCY#...``; TTL 24 h).

One conditional write claims a key, so two requests with the same key never both run:

    begin  ─▶ put {claim, fingerprint, in_flight} if absent, expired, or in flight since before
              the lease ─▶ claimed; else the item as it is (ReturnValuesOnConditionCheckFailure)
    complete ─▶ the answer, if the claim is still ours ─▶ later requests get it
    abandon  ─▶ delete, if the claim is still ours ─▶ a retry is handled afresh
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.activation.ports import KeptAnswer, KeptRequest
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item

IN_FLIGHT = "in_flight"
ANSWERED = "answered"


class DynamoIdempotencyStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def begin(
        self,
        scope: str,
        key: str,
        claim_id: str,
        fingerprint: str,
        now: datetime,
        stale_before: datetime,
        expires_at: datetime,
    ) -> KeptRequest | None:
        item = {
            **keys.idempotency(scope, key),
            "claim": claim_id,
            "fingerprint": fingerprint,
            "state": IN_FLIGHT,
            "started_at": _millis(now),
            "expires_at": int(expires_at.timestamp()),
        }
        try:
            with dynamodb_errors():
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(item),
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now "
                    "OR (#state = :in_flight AND started_at < :stale)",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=to_item(
                        {
                            ":now": int(now.timestamp()),
                            ":in_flight": IN_FLIGHT,
                            ":stale": _millis(stale_before),
                        }
                    ),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            held = from_item(dict(error.response.get("Item") or {}))  # type: ignore[call-overload]
            return _kept(held)
        return None

    def complete(self, scope: str, key: str, claim_id: str, answer: KeptAnswer) -> None:
        self._if_ours(
            scope,
            key,
            claim_id,
            {
                "UpdateExpression": "SET #state = :answered, answer_status = :status, "
                "answer_body = :body, answer_headers = :headers",
                "ExpressionAttributeValues": {
                    ":answered": ANSWERED,
                    ":status": answer.status,
                    ":body": answer.body,
                    ":headers": json.dumps(dict(answer.headers)),
                },
            },
        )

    def abandon(self, scope: str, key: str, claim_id: str) -> None:
        self._if_ours(scope, key, claim_id, None)

    def _if_ours(self, scope: str, key: str, claim_id: str, update: dict[str, Any] | None) -> None:
        """Update (or, without ``update``, delete) the item while the claim is ``claim_id``'s;
        a claim taken over meanwhile is left to its new owner."""
        values = {":claim": claim_id, **(update or {}).get("ExpressionAttributeValues", {})}
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(keys.idempotency(scope, key)),
            "ConditionExpression": "claim = :claim",
            "ExpressionAttributeValues": to_item(values),
        }
        if update is not None:
            arguments["UpdateExpression"] = update["UpdateExpression"]
            arguments["ExpressionAttributeNames"] = {"#state": "state"}
        try:
            with dynamodb_errors():
                if update is None:
                    self._client.delete_item(**arguments)
                else:
                    self._client.update_item(**arguments)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise


def _kept(item: dict[str, Any]) -> KeptRequest:
    answer = None
    if item.get("state") == ANSWERED:
        answer = KeptAnswer(
            int(item["answer_status"]),
            str(item["answer_body"]),
            json.loads(item.get("answer_headers") or "{}"),
        )
    return KeptRequest(str(item.get("fingerprint", "")), answer)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
