"""The DynamoDB tables, defined once: the local stack, the tests and the deployment use these.

Every table has a string partition key ``pk`` and sort key ``sk``; items are laid out by the
key builders in :mod:`chalicelib.storage.keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableDefinition:
    logical_name: str
    purpose: str
    ttl_attribute: str | None = None
    holds_personal_data: bool = False
    partition_key: str = "pk"
    sort_key: str = "sk"

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """Keyword arguments for DynamoDB ``CreateTable`` (on-demand billing)."""
        return {
            "TableName": table_name,
            "AttributeDefinitions": [
                {"AttributeName": self.partition_key, "AttributeType": "S"},
                {"AttributeName": self.sort_key, "AttributeType": "S"},
            ],
            "KeySchema": [
                {"AttributeName": self.partition_key, "KeyType": "HASH"},
                {"AttributeName": self.sort_key, "KeyType": "RANGE"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }


CONFIG = TableDefinition("config", "playbook (rules, plans, roles) and hashed API keys")
CONTACTS = TableDefinition(
    "contacts", "people, their roles and channels (personal data)", holds_personal_data=True
)
INCIDENTS = TableDefinition(
    "incidents",
    "events, incidents, timelines, dedup pointers and the send ledger",
    ttl_attribute="expires_at",
)

ALL_TABLES = (CONFIG, CONTACTS, INCIDENTS)
