"""Canary rounds and state in the incidents table::

    CANARY#<id> / ROUND#<slot>   started_at, begun_at, incident_id, judge_by, expected,
                                 verdict (once judged); kept 30 days
    CANARY#<id> / STATE          failing (channels), version

A round is begun by a conditional put (one per slot) and judged by a conditional update (once);
the state is written only if it is still at the version read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.model import Channel
from chalicelib.core.watch.ports import CanaryRound, CanaryState
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, put_if_absent, to_item

KEEP_ROUNDS = timedelta(days=30)
RECENT_ROUNDS = 5  # more than can be open at once: a round is judged before the next begins


class DynamoCanaryRounds:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def begin(self, started: CanaryRound) -> bool:
        return put_if_absent(
            self._client,
            self._table,
            {
                **keys.canary_round(started.canary_id, started.started_at),
                "canary_id": started.canary_id,
                "started_at": started.started_at.isoformat(),
                "begun_at": started.begun_at.isoformat(),
                "incident_id": started.incident_id,
                "judge_by": started.judge_by.isoformat(),
                "expected": [f"{contact}#{channel.value}" for contact, channel in started.expected],
                "expires_at": int((started.begun_at + KEEP_ROUNDS).timestamp()),
            },
        )

    def recent_rounds(self, canary_id: str) -> list[CanaryRound]:
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues=to_item(
                    {
                        ":pk": keys.canary_partition(canary_id),
                        ":prefix": keys.CANARY_ROUND_PREFIX,
                    }
                ),
                ScanIndexForward=False,
                Limit=RECENT_ROUNDS,
                ConsistentRead=True,
            )
        return [_round(from_item(item)) for item in reversed(response["Items"])]

    def judged(self, canary_id: str, started_at: datetime, verdict: Mapping[str, str]) -> bool:
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.canary_round(canary_id, started_at)),
                    UpdateExpression="SET verdict = :verdict",
                    ConditionExpression="attribute_exists(pk) AND attribute_not_exists(verdict)",
                    ExpressionAttributeValues=to_item({":verdict": dict(verdict)}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def state(self, canary_id: str) -> CanaryState:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.canary_state(canary_id)),
                ConsistentRead=True,
            )
        if "Item" not in response:
            return CanaryState()
        values = from_item(response["Item"])
        return CanaryState(
            frozenset(Channel(name) for name in values.get("failing", [])),
            int(values["version"]),
        )

    def save_state(self, canary_id: str, failing: frozenset[Channel], seen_version: int) -> bool:
        item = {
            **keys.canary_state(canary_id),
            "failing": sorted(channel.value for channel in failing),
            "version": seen_version + 1,
        }
        condition = "attribute_not_exists(pk)" if seen_version == 0 else "version = :seen"
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(item),
            "ConditionExpression": condition,
        }
        if seen_version:
            arguments["ExpressionAttributeValues"] = to_item({":seen": seen_version})
        try:
            with dynamodb_errors():
                self._client.put_item(**arguments)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _round(values: dict[str, Any]) -> CanaryRound:
    expected = []
    for pair in values.get("expected", []):
        contact_id, _, channel = str(pair).rpartition("#")
        expected.append((contact_id, Channel(channel)))
    verdict = values.get("verdict")
    return CanaryRound(
        canary_id=str(values["canary_id"]),
        started_at=datetime.fromisoformat(values["started_at"]),
        begun_at=datetime.fromisoformat(values["begun_at"]),
        incident_id=str(values["incident_id"]),
        judge_by=datetime.fromisoformat(values["judge_by"]),
        expected=tuple(expected),
        verdict={str(k): str(v) for k, v in verdict.items()} if verdict is not None else None,
    )
