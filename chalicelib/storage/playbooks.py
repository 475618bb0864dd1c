"""The playbook in the config table: versioned, and read through a short-lived cache.

Each apply stores a new version and moves the ``CURRENT`` pointer to it, in one transaction::

    PLAYBOOK / CURRENT            -> {version: 7, partition, digest}
    PLAYBOOK / VERSION#00000007   -> {partition, digest, applied_at, summary}
    PLAYBOOK#7#<digest> / RULES#00003#it-outage-major -> {document}     (one item per document)

Versions are never rewritten, so an incident can always be read with the playbook it started
with. Applying documents whose digest equals the current one stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import NotFound, TocsinError
from chalicelib.core.playbook.document import SECTIONS, Playbook, parse_playbook
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item

Documents = Mapping[str, Sequence[Any]]
BATCH_WRITE_LIMIT = 25


@dataclass(frozen=True)
class AppliedVersion:
    version: int
    digest: str
    changed: bool  # False: the documents were already the current version


class ConcurrentApply(TocsinError):
    """Someone else applied a playbook between our read and our write; read and try again."""


def digest(documents: Documents) -> str:
    """The same documents give the same digest, however the YAML was laid out or commented."""
    canonical = {name: list(documents.get(name, [])) for name in SECTIONS}
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


class DynamoPlaybookStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def current_version(self) -> tuple[int, str] | None:
        """(version, digest) in force, or None before the first apply."""
        item = self._get(keys.playbook_current())
        return (int(item["version"]), str(item["digest"])) if item else None

    def load(self) -> Playbook:
        current = self._get(keys.playbook_current())
        if current is None:
            return parse_playbook({})
        return self._load(int(current["version"]), str(current["partition"]))

    def load_version(self, version: int) -> Playbook:
        item = self._get(keys.playbook_version(version))
        if item is None:
            raise NotFound(f"no playbook version {version}")
        return self._load(version, str(item["partition"]))

    def documents(self, version: int | None = None) -> dict[str, list[Any]]:
        """The documents of ``version`` (default: current), section by section, in order."""
        if version is None:
            current = self.current_version()
            if current is None:
                return {name: [] for name in SECTIONS}
            version = current[0]
        item = self._get(keys.playbook_version(version))
        if item is None:
            raise NotFound(f"no playbook version {version}")
        return self._documents(str(item["partition"]))

    def apply(self, documents: Documents, now: datetime) -> AppliedVersion:
        """Validate, then store the documents as the next version unless they are current."""
        playbook = parse_playbook(documents)
        new_digest = digest(documents)
        current = self.current_version()
        if current is not None and current[1] == new_digest:
            return AppliedVersion(current[0], new_digest, changed=False)
        version = (current[0] if current else 0) + 1
        partition = f"{keys.PLAYBOOK_PK}#{version}#{new_digest[:16]}"
        self._write_documents(partition, documents)
        summary = {
            "rules": len(playbook.rules),
            "plans": len(playbook.plans),
            "roles": len(playbook.roles),
            "teams": len(playbook.teams),
            "templates": len(playbook.templates),
            "oncall": len(playbook.oncall),
            "escalations": len(playbook.escalations),
            "schedules": len(playbook.schedules),
            "maintenance": len(playbook.maintenance),
            "settings": len(documents.get("settings", [])),
            "heartbeats": len(playbook.heartbeats),
            "canaries": len(playbook.canaries),
            "audiences": len(playbook.audiences),
        }
        pointer = {"version": version, "partition": partition, "digest": new_digest}
        condition = "attribute_not_exists(pk)" if current is None else "#version = :previous"
        put_current: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item({**keys.playbook_current(), **pointer}),
            "ConditionExpression": condition,
        }
        if current is not None:
            put_current["ExpressionAttributeValues"] = to_item({":previous": current[0]})
            put_current["ExpressionAttributeNames"] = {"#version": "version"}
        try:
            with dynamodb_errors():
                self._client.transact_write_items(
                    TransactItems=[
                        {"Put": put_current},
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item(
                                    {
                                        **keys.playbook_version(version),
                                        **pointer,
                                        "applied_at": now.isoformat(),
                                        "summary": summary,
                                    }
                                ),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise ConcurrentApply(
                    f"another apply made version {version} first; run the command again"
                ) from None
            raise
        return AppliedVersion(version, new_digest, changed=True)

    def versions(self) -> list[dict[str, Any]]:
        """Every applied version, oldest first: version, digest, applied_at, summary."""
        items = self._query(keys.PLAYBOOK_PK, begins_with="VERSION#")
        return [
            {
                "version": int(item["version"]),
                "digest": item["digest"],
                "applied_at": item["applied_at"],
                "summary": {name: int(count) for name, count in item["summary"].items()},
            }
            for item in items
        ]

    def _load(self, version: int, partition: str) -> Playbook:
        return parse_playbook(self._documents(partition), version=version)

    def _documents(self, partition: str) -> dict[str, list[Any]]:
        sections: dict[str, list[Any]] = {name: [] for name in SECTIONS}
        for item in self._query(partition):
            sections[item["sk"].split("#", 1)[0].lower()].append(json.loads(item["document"]))
        return sections

    def _write_documents(self, partition: str, documents: Documents) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            **keys.playbook_document(
                                partition, name.upper(), position, str(document.get("id", ""))
                            ),
                            "document": json.dumps(document, default=str),
                        }
                    )
                }
            }
            for name in SECTIONS
            for position, document in enumerate(documents.get(name, []))
        ]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self._table: requests[start : start + BATCH_WRITE_LIMIT]}
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(key), ConsistentRead=True
            )
        return from_item(response["Item"]) if "Item" in response else None

    def _query(self, partition: str, begins_with: str | None = None) -> list[dict[str, Any]]:
        condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if begins_with else "")
        values = {":pk": partition, **({":prefix": begins_with} if begins_with else {})}
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "ConsistentRead": True,
        }
        return list(all_items(self._client, "query", arguments))


class CachedPlaybookSource:
    """The current playbook for ``ttl_seconds``, so a burst of events reads DynamoDB once;
    versions, which never change, are kept for the life of the Lambda container."""

    def __init__(
        self,
        store: PlaybookSource,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, Playbook] | None = None
        self._versions: dict[int, Playbook] = {}

    def load(self) -> Playbook:
        now = self._monotonic()
        if self._cached is None or now - self._cached[0] >= self._ttl:
            playbook = self._store.load()
            self._cached = (now, playbook)
            self._versions.setdefault(playbook.version, playbook)
        return self._cached[1]

    def load_version(self, version: int) -> Playbook:
        if version not in self._versions:
            self._versions[version] = self._store.load_version(version)
        return self._versions[version]
