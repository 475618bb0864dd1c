"""The playbook in the config table, read through a short-lived cache."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.core.policy import Playbook, parse_playbook
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item


class DynamoPlaybookStore:
    """Reads the whole playbook with one paginated query; ``save`` replaces it."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def load(self) -> Playbook:
        rules: list[Any] = []
        plans: list[Any] = []
        roles: list[Any] = []
        schedules: list[Any] = []
        by_kind = {"RULE": rules, "PLAN": plans, "ROLE": roles, "SCHEDULE": schedules}
        for item in self._items():
            by_kind[item["sk"].split("#", 1)[0]].append(json.loads(item["document"]))
        return parse_playbook(rules, plans, roles, schedules)

    def save(
        self,
        rules: Sequence[Any],
        plans: Sequence[Any],
        roles: Sequence[Any],
        schedules: Sequence[Any] = (),
    ) -> Playbook:
        """Validate, then replace the stored playbook with these documents."""
        playbook = parse_playbook(rules, plans, roles, schedules)
        items = [
            {**keys.playbook_rule(position, document["id"]), "document": json.dumps(document)}
            for position, document in enumerate(rules)
        ]
        items += [{**keys.playbook_plan(doc["id"]), "document": json.dumps(doc)} for doc in plans]
        items += [{**keys.playbook_role(doc["id"]), "document": json.dumps(doc)} for doc in roles]
        items += [
            {**keys.playbook_schedule(doc["id"]), "document": json.dumps(doc)} for doc in schedules
        ]
        wanted = {(item["pk"], item["sk"]) for item in items}
        stale = [item for item in self._items() if (item["pk"], item["sk"]) not in wanted]
        requests = [{"PutRequest": {"Item": to_item(item)}} for item in items]
        requests += [
            {"DeleteRequest": {"Key": to_item({"pk": item["pk"], "sk": item["sk"]})}}
            for item in stale
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            while pending:
                with dynamodb_errors():
                    pending = (
                        self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                        or {}
                    )
        return playbook

    def _items(self) -> list[dict[str, Any]]:
        items = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.PLAYBOOK_PK}),
        }
        while True:
            with dynamodb_errors():
                response = self._client.query(**arguments)
            items += [from_item(item) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return items
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class CachedPlaybookSource:
    """Keeps the playbook for ``ttl_seconds`` so a burst of events reads DynamoDB once."""

    def __init__(
        self,
        store: DynamoPlaybookStore,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, Playbook] | None = None

    def load(self) -> Playbook:
        now = self._monotonic()
        if self._cached is None or now - self._cached[0] >= self._ttl:
            self._cached = (now, self._store.load())
        return self._cached[1]
