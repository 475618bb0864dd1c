"""The DynamoDB tables, defined once: the local stack, the tests and the deployment use these.

Every table has a string partition key ``pk`` and sort key ``sk``; items are laid out by the
key builders in :mod:`chalicelib.storage.keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IndexDefinition:
    """A sparse global secondary index: only items with both its keys are in it. It holds the
    table's keys, and the ``projected`` attributes when there are any (else keys only)."""

    name: str
    partition_key: str
    sort_key: str
    projected: tuple[str, ...] = ()

    def projection(self) -> dict[str, Any]:
        """DynamoDB's ``Projection`` for this index."""
        if not self.projected:
            return {"ProjectionType": "KEYS_ONLY"}
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.projected)}


# Open incidents by their next escalation deadline (storage/incidents.py).
DUE_INDEX = IndexDefinition("due", "due_pk", "due_at")
# Incidents and events newest first, one partition per status (storage/lists.py): what the
# lists show and filter on is projected, so a page is one query per status, never a scan.
# Only one index is added here on purpose: CloudFormation adds one GSI per table update.
LIST_INDEX = IndexDefinition(
    "lists",
    "list_pk",
    "list_at",
    projected=(
        "incident_id",
        "event_id",
        "status",
        "outcome",
        "title",
        "type",
        "severity",
        "event_status",
        "plan_id",
        "rule_id",
        "opened_at",
        "resolved_at",
        "first_sent_at",
        "received_at",
        "decided_at",
        "source",
        "code",
        "reason",
    ),
)


@dataclass(frozen=True)
class TableDefinition:
    logical_name: str
    purpose: str
    ttl_attribute: str | None = None
    holds_personal_data: bool = False
    partition_key: str = "pk"
    sort_key: str = "sk"
    indexes: tuple[IndexDefinition, ...] = ()

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """Keyword arguments for DynamoDB ``CreateTable`` (on-demand billing)."""
        names = [self.partition_key, self.sort_key]
        names += [name for index in self.indexes for name in (index.partition_key, index.sort_key)]
        arguments: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"} for name in dict.fromkeys(names)
            ],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            arguments["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": index.projection(),
                }
                for index in self.indexes
            ]
        return arguments


def _key_schema(partition_key: str, sort_key: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": partition_key, "KeyType": "HASH"},
        {"AttributeName": sort_key, "KeyType": "RANGE"},
    ]


CONFIG = TableDefinition(
    "config",
    "playbook (rules, plans, roles), hashed API keys and on-call overrides",
    ttl_attribute="expires_at",  # on-call overrides expire (storage/overrides.py)
)
CONTACTS = TableDefinition(
    "contacts",
    "people, their roles and channels (personal data); who touched them; erasure jobs",
    ttl_attribute="expires_at",  # access records and finished erasure jobs (storage/audit.py)
    holds_personal_data=True,
)
INCIDENTS = TableDefinition(
    "incidents",
    "events, incidents, timelines, dedup pointers, the send ledger and responders",
    ttl_attribute="expires_at",
    indexes=(DUE_INDEX, LIST_INDEX),
)

ALL_TABLES = (CONFIG, CONTACTS, INCIDENTS)
