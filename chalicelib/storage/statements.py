"""Statements in the incidents table, beside the incident they speak about.

INCIDENT#i / STATEMENT#<id>           the statement (JSON) and its version
INCIDENT#i / OUTLET#<id>#<outlet>     this outlet was claimed to send it: once

add  ─▶ put if absent + the timeline entries, in one transaction
save ─▶ put if the stored version is one less + the entries, in one transaction: two people
        racing (approving, publishing) change it once; the other's condition fails
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.model import TimelineEntry
from chalicelib.core.playbook.audiences import StatementKind
from chalicelib.core.statements.ports import Approval, Statement, StatementState
from chalicelib.storage import keys
from chalicelib.storage.codec import (
    all_items,
    dynamodb_errors,
    error_code,
    from_item,
    put_if_absent,
    to_item,
)
from chalicelib.storage.incidents import timeline_put


class DynamoStatementStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        return self._write(statement, entries, "attribute_not_exists(pk)", {})

    def save(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        return self._write(
            statement, entries, "version = :seen", {":seen": {"N": str(statement.version - 1)}}
        )

    def get(self, incident_id: str, statement_id: str) -> Statement | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.statement(incident_id, statement_id)),
                ConsistentRead=True,
            )
        return _statement(from_item(response["Item"])) if "Item" in response else None

    def list(self, incident_id: str) -> list[Statement]:
        arguments = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.incident_partition(incident_id), ":prefix": keys.STATEMENT_PREFIX}
            ),
            "ConsistentRead": True,
        }
        found = [_statement(item) for item in all_items(self._client, "query", arguments)]
        return sorted(found, key=lambda s: (s.created_at, s.statement_id))

    def claim_outlet(self, incident_id: str, statement_id: str, outlet: str, now: datetime) -> bool:
        item = {**keys.statement_outlet(incident_id, statement_id, outlet), "at": now.isoformat()}
        return put_if_absent(self._client, self._table, item)

    def release_outlet(self, incident_id: str, statement_id: str, outlet: str) -> None:
        with dynamodb_errors():
            self._client.delete_item(
                TableName=self._table,
                Key=to_item(keys.statement_outlet(incident_id, statement_id, outlet)),
            )

    def _write(
        self,
        statement: Statement,
        entries: Sequence[TimelineEntry],
        condition: str,
        values: dict[str, Any],
    ) -> bool:
        item = {
            **keys.statement(statement.incident_id, statement.statement_id),
            "document": json.dumps(_document(statement)),
            "version": statement.version,
        }
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(item),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        writes = [{"Put": put}]
        writes += [timeline_put(self._table, statement.incident_id, e) for e in entries]
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if error_code(error) == "TransactionCanceledException" and (
                reasons and reasons[0].get("Code") == "ConditionalCheckFailed"
            ):
                return False
            raise
        return True


def _document(statement: Statement) -> dict[str, Any]:
    return {
        "incident_id": statement.incident_id,
        "statement_id": statement.statement_id,
        "audience": statement.audience,
        "language": statement.language,
        "kind": statement.kind.value,
        "subject": statement.subject,
        "body": statement.body,
        "state": statement.state.value,
        "required": statement.required,
        "roles": list(statement.roles),
        "created_at": statement.created_at.isoformat(),
        "created_by": statement.created_by,
        "approvals": [
            {
                "contact_id": a.contact_id,
                "at": a.at.isoformat(),
                "credential": a.credential,
                "holder": a.holder,
                "via": a.via,
                "digest": a.digest,
            }
            for a in statement.approvals
        ],
        "replaces": statement.replaces,
        "settled_at": statement.settled_at.isoformat() if statement.settled_at else None,
        "settled_by": statement.settled_by,
        "reason": statement.reason,
    }


def _statement(item: dict[str, Any]) -> Statement:
    document = json.loads(item["document"])
    settled = document.get("settled_at")
    return Statement(
        incident_id=document["incident_id"],
        statement_id=document["statement_id"],
        audience=document["audience"],
        language=document["language"],
        kind=StatementKind(document["kind"]),
        subject=document["subject"],
        body=document["body"],
        state=StatementState(document["state"]),
        required=int(document["required"]),
        roles=tuple(document["roles"]),
        created_at=datetime.fromisoformat(document["created_at"]),
        created_by=document["created_by"],
        approvals=tuple(
            Approval(
                a["contact_id"],
                datetime.fromisoformat(a["at"]),
                a["credential"],
                a["holder"],
                a["via"],
                a["digest"],
            )
            for a in document["approvals"]
        ),
        replaces=document.get("replaces"),
        settled_at=datetime.fromisoformat(settled) if settled else None,
        settled_by=document.get("settled_by"),
        reason=document.get("reason", ""),
        version=int(item["version"]),
    )
