"""API keys, stored only as SHA-256 digests in the config table.

APIKEY#<digest> / APIKEY     what the key may do (read on every request)
APIKEYS         / NAME#name  the same, by name, for listing and revoking (no secrets)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item


def digest(api_key: str) -> str:
    """Keys are 32 random bytes, so a plain SHA-256 is enough (no password stretching)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def generate_api_key() -> str:
    return "tcs_" + secrets.token_urlsafe(32)


def generate_signing_secret() -> str:
    return "tss_" + secrets.token_urlsafe(32)


class DynamoApiKeyStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, api_key: str, key: ApiKey, now: datetime) -> None:
        """Store a new key; refuses a name already in use."""
        record = _record(key) | {"created_at": now.isoformat(), "digest": digest(api_key)}
        try:
            with dynamodb_errors():
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item(
                                    {
                                        **keys.api_key(digest(api_key)),
                                        **record,
                                        "signing_secrets": list(key.signing_secrets),
                                    }
                                ),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item({**keys.api_key_name(key.name), **record}),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise InvalidInput(f"a key named {key.name!r} exists already") from None
            raise

    def find(self, api_key: str) -> ApiKey | None:
        """What ``api_key`` may do, or None when it is unknown or revoked."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.api_key(digest(api_key)))
            )
        item = response.get("Item")
        if item is None:
            return None
        values = from_item(item)
        return None if values.get("revoked_at") else _api_key(values)

    def named(self, name: str) -> ApiKey | None:
        """What the key named ``name`` may do now, or None when there is none or it was
        revoked (a console session made with it ends at its next request). Its signing secrets
        are not kept under its name, and a console session needs none."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.api_key_name(name))
            )
        item = response.get("Item")
        if item is None:
            return None
        values = from_item(item)
        return None if values.get("revoked_at") else _api_key(values)

    def list(self) -> list[dict[str, Any]]:
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": keys.API_KEY_LIST_PK}),
            )
        return [
            {
                name: value
                for name, value in from_item(item).items()
                if name not in ("pk", "sk", "digest")
            }
            for item in response["Items"]
        ]

    def revoke(self, name: str, now: datetime) -> None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.api_key_name(name))
            )
        if "Item" not in response:
            raise NotFound(f"no key named {name!r}")
        key_digest = from_item(response["Item"])["digest"]
        update = "SET revoked_at = :now"
        with dynamodb_errors():
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(keys.api_key(key_digest)),
                            "UpdateExpression": update,
                            "ExpressionAttributeValues": to_item({":now": now.isoformat()}),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(keys.api_key_name(name)),
                            "UpdateExpression": update,
                            "ExpressionAttributeValues": to_item({":now": now.isoformat()}),
                        }
                    },
                ]
            )


def _record(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "scopes": sorted(scope.value for scope in key.scopes),
        "integrations": sorted(key.integrations),
        "event_type": key.event_type,
        "source": key.source,
        "signed": bool(key.signing_secrets),
        "rate_per_minute": key.rate_per_minute,
        "contact_id": key.contact_id,
        "allowed_types": list(key.allowed_types),
        "heartbeats": sorted(key.heartbeats),
    }


def _api_key(values: dict[str, Any]) -> ApiKey:
    return ApiKey(
        name=str(values["name"]),
        scopes=frozenset(Scope(scope) for scope in values.get("scopes", [])),
        integrations=frozenset(values.get("integrations") or []),
        event_type=values.get("event_type"),
        source=values.get("source"),
        signing_secrets=tuple(values.get("signing_secrets") or []),
        rate_per_minute=int(values.get("rate_per_minute", 600)),
        contact_id=values.get("contact_id"),
        allowed_types=tuple(values.get("allowed_types") or ()),
        heartbeats=frozenset(values.get("heartbeats") or []),
    )
