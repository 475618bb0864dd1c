"""API keys, stored only as SHA-256 digests in the config table."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item


def digest(api_key: str) -> str:
    """Keys are 32 random bytes, so a plain SHA-256 is enough (no password stretching)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def generate_api_key() -> str:
    return "tcs_" + secrets.token_urlsafe(32)


class DynamoApiKeyStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, api_key: str, name: str, now: datetime) -> None:
        with dynamodb_errors():
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        **keys.api_key(digest(api_key)),
                        "name": name,
                        "created_at": now.isoformat(),
                    }
                ),
            )

    def name_of(self, api_key: str) -> str | None:
        """The key's name when it is valid, else None."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.api_key(digest(api_key)))
            )
        item = response.get("Item")
        if item is None:
            return None
        values = from_item(item)
        return None if values.get("revoked_at") else str(values["name"])
