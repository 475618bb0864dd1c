"""The drill register in the incidents table.

    DRILLS / DRILL#<drill id>   the drill: plan, kind, state, roster (a list: erasure takes the
                                person out), targets and window (JSON), the surprise's secret
                                ``fire_at`` (only here), its incident, ``expires_at``
    DRILLS / SLOT#<plan id>     {drill_id, expires_at}: the active drill of that plan (freed
                                when it finishes; it expires with the drill at the latest)

Starting a drill that sends writes both in one transaction: the slot only if it is free or
still names the finished drill the caller saw (``replacing``), so two drills of one plan never
run together, however the requests race. Drills are started by people, so one partition holds
them all; ``due`` reads its scheduled surprises each minute (a filtered query of a few items).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.cursors import Position
from chalicelib.core.drills.kinds import Drill, DrillState
from chalicelib.core.drills.ports import DrillPage
from chalicelib.core.playbook.drill_request import AckTarget, DrillKind, SurpriseWindow
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.retention import EXPIRES_AT, epoch


class DynamoDrillRegister:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def begin(self, drill: Drill, replacing: str | None) -> bool:
        put = {"Put": {"TableName": self._table, "Item": to_item(_item(drill))}}
        if not drill.state.is_active:
            with dynamodb_errors():
                self._client.put_item(TableName=self._table, Item=to_item(_item(drill)))
            return True
        condition = "attribute_not_exists(pk)"
        values: dict[str, Any] = {}
        if replacing is not None:
            condition += " OR drill_id = :previous"
            values[":previous"] = replacing
        slot: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(
                {
                    **keys.drill_slot(drill.plan_id),
                    "drill_id": drill.drill_id,
                    EXPIRES_AT: epoch(drill.expires_at) if drill.expires_at else None,
                }
            ),
            "ConditionExpression": condition,
        }
        if values:
            slot["ExpressionAttributeValues"] = to_item(values)
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=[put, {"Put": slot}])
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if error_code(error) == "TransactionCanceledException" and (
                not reasons or any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
            ):
                return False  # the slot is taken
            raise
        return True

    def holder(self, plan_id: str) -> str | None:
        with dynamodb_errors():
            found = self._client.get_item(
                TableName=self._table, Key=to_item(keys.drill_slot(plan_id)), ConsistentRead=True
            ).get("Item")
        return str(from_item(found)["drill_id"]) if found else None

    def get(self, drill_id: str) -> Drill | None:
        with dynamodb_errors():
            found = self._client.get_item(
                TableName=self._table, Key=to_item(keys.drill(drill_id)), ConsistentRead=True
            ).get("Item")
        return _drill(from_item(found)) if found else None

    def save(self, drill: Drill) -> None:
        with dynamodb_errors():
            self._client.put_item(TableName=self._table, Item=to_item(_item(drill)))
            if not drill.state.is_active:
                try:
                    self._client.delete_item(
                        TableName=self._table,
                        Key=to_item(keys.drill_slot(drill.plan_id)),
                        ConditionExpression="drill_id = :mine",
                        ExpressionAttributeValues=to_item({":mine": drill.drill_id}),
                    )
                except ClientError as error:
                    if error_code(error) != "ConditionalCheckFailedException":
                        raise

    def page(self, limit: int, after: Position | None) -> DrillPage:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.DRILLS_PK, ":prefix": keys.DRILL_PREFIX}
            ),
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if after is not None:
            request["ExclusiveStartKey"] = to_item(keys.drill(after.item_id))
        with dynamodb_errors():
            rows = [from_item(item) for item in self._client.query(**request).get("Items", [])]
        drills = [_drill(row) for row in rows]
        items = tuple(drills[:limit])
        more = len(drills) > limit and items
        return DrillPage(
            items, Position(items[-1].created_at, items[-1].drill_id) if more else None
        )

    def due(self, now: datetime) -> list[Drill]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "#state = :scheduled AND fire_at <= :now",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.DRILLS_PK,
                    ":prefix": keys.DRILL_PREFIX,
                    ":scheduled": DrillState.SCHEDULED.value,
                    ":now": _instant(now),
                }
            ),
            "ConsistentRead": True,
        }
        found: list[Drill] = []
        with dynamodb_errors():
            for page in self._client.get_paginator("query").paginate(**request):
                found += [_drill(from_item(item)) for item in page.get("Items", [])]
        return sorted(found, key=lambda drill: drill.drill_id)


def _instant(moment: datetime) -> str:
    """UTC, fixed width: compared as text in the filter."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _item(drill: Drill) -> dict[str, Any]:
    return {
        **keys.drill(drill.drill_id),
        "drill_id": drill.drill_id,
        "plan_id": drill.plan_id,
        "kind": drill.kind.value,
        "state": drill.state.value,
        "created_at": drill.created_at.isoformat(),
        "created_by": drill.created_by,
        "roster": list(drill.roster),
        "targets": json.dumps(
            [
                {"role": t.role, "share": t.share, "within_seconds": t.within_seconds}
                for t in drill.targets
            ]
        ),
        "window": json.dumps(_window_document(drill.window)) if drill.window else None,
        "fire_at": _instant(drill.fire_at) if drill.fire_at else None,
        "incident_id": drill.incident_id,
        "started_at": drill.started_at.isoformat() if drill.started_at else None,
        "finished_at": drill.finished_at.isoformat() if drill.finished_at else None,
        "note": drill.note or None,
        EXPIRES_AT: epoch(drill.expires_at) if drill.expires_at else None,
    }


def _window_document(window: SurpriseWindow) -> dict[str, Any]:
    return {
        "weekdays": sorted(window.weekdays),
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "timezone": window.timezone,
        "until": window.until.isoformat(),
    }


def _drill(row: dict[str, Any]) -> Drill:
    window = json.loads(row["window"]) if row.get("window") else None
    return Drill(
        drill_id=row["drill_id"],
        plan_id=row["plan_id"],
        kind=DrillKind(row["kind"]),
        state=DrillState(row["state"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        created_by=row["created_by"],
        roster=tuple(row.get("roster", ())),
        targets=tuple(
            AckTarget(t["role"], float(t["share"]), int(t["within_seconds"]))
            for t in json.loads(row.get("targets") or "[]")
        ),
        window=SurpriseWindow(
            frozenset(window["weekdays"]),
            time.fromisoformat(window["start"]),
            time.fromisoformat(window["end"]),
            window["timezone"],
            datetime.fromisoformat(window["until"]),
        )
        if window
        else None,
        fire_at=datetime.fromisoformat(row["fire_at"]) if row.get("fire_at") else None,
        incident_id=row.get("incident_id"),
        started_at=datetime.fromisoformat(row["started_at"]) if row.get("started_at") else None,
        finished_at=datetime.fromisoformat(row["finished_at"]) if row.get("finished_at") else None,
        expires_at=datetime.fromtimestamp(int(row[EXPIRES_AT]), UTC) if EXPIRES_AT in row else None,
        note=row.get("note", ""),
    )
