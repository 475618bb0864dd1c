"""The records an erasure scrubs, by structure: the config table's items that name people (keys,
calendar links, on-call overrides), other people's profiles that name them as their lead (the
contacts table), then every item of the incidents table, one Scan page a slice. What erasing
does to each kind of item is :mod:`chalicelib.storage.erasure_items`' knowledge; the jobs
themselves are :mod:`chalicelib.storage.erasure_jobs`'.

Each record that mentions the person is rewritten (or deleted) in the same transaction as its
count on the job (the rewrites of one Scan page share as few transactions as the limits allow):

    read page ─▶ scrub each item (pure) ─▶ unchanged: nothing
                                       └▶ changed: [rewrites, each if its item is still as read]
                                                   + [counts], in one transaction
                                           └ an item changed meanwhile ─▶ nothing written; then
                                             item by item, reading again whichever changed

so a slice that fails halfway and runs again finds the rewritten records clean and counts each
record once. The cursor says which table the next slice reads, and from where.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.privacy.jobs import ErasureJob, Slice
from chalicelib.core.privacy.scrubbing import Scrubber
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.erasure_items import (
    Rewrite,
    record_kind,
    scrub_config_item,
    scrub_contact_item,
    scrub_item,
)

_REWRITE_ATTEMPTS = 3
_MAX_ACTIONS = 100  # TransactWriteItems' limit
_MAX_BYTES = 2_000_000  # estimated; DynamoDB's limit is 4 MB a transaction

Change = tuple[dict[str, Any], Rewrite]  # an item as read, and what it becomes


@dataclass(frozen=True)
class _Pass:
    """One table the job goes through, and what erasing does to its items."""

    name: str  # in the cursor
    table: str
    scrub: Callable[[Mapping[str, Any], Scrubber, ErasureJob], Rewrite]


class DynamoPersonalRecords:
    """The records an erasure scrubs: the config table's and the contacts table's (when given)
    then the incidents table's, one Scan page at a time. The rewrites of a page go in as few
    transactions as DynamoDB allows (each with the count of what it rewrote); one whose record
    changed meanwhile falls back to one transaction per record, reading each again."""

    def __init__(
        self,
        client: Any,
        incidents_table: str,
        jobs_table: str,
        config_table: str | None = None,
        contacts_table: str | None = None,
    ) -> None:
        self._client = client
        self._jobs_table = jobs_table
        self._passes: list[_Pass] = []
        if config_table is not None:  # first: a person's keys and links stop working soonest
            self._passes.append(
                _Pass(
                    "config",
                    config_table,
                    lambda item, scrubber, job: scrub_config_item(item, scrubber, job.requested_at),
                )
            )
        if contacts_table is not None:  # other people's leads
            self._passes.append(
                _Pass(
                    "contacts",
                    contacts_table,
                    lambda item, scrubber, _: scrub_contact_item(item, scrubber),
                )
            )
        self._passes.append(
            _Pass(
                "incidents", incidents_table, lambda item, scrubber, _: scrub_item(item, scrubber)
            )
        )

    def scrub(self, job: ErasureJob, scrubber: Scrubber, cursor: str | None, limit: int) -> Slice:
        index, start = self._position(cursor)
        current = self._passes[index]
        arguments: dict[str, Any] = {"TableName": current.table, "Limit": limit}
        if start:
            arguments["ExclusiveStartKey"] = start
        with dynamodb_errors():
            page = self._client.scan(**arguments)
        changes: list[Change] = []
        for raw in page["Items"]:
            item = from_item(raw)
            cleaned = current.scrub(item, scrubber, job)
            if cleaned != item:
                changes.append((item, cleaned))
        for batch in _batches(changes):
            if not self._rewrite(job, current.table, batch):
                for item, cleaned in batch:
                    self._rewrite_one(job, scrubber, current, item, cleaned)
        last = page.get("LastEvaluatedKey")
        following: dict[str, Any] | None = None
        if last:
            following = {"table": current.name, "after": last}
        elif index + 1 < len(self._passes):
            following = {"table": self._passes[index + 1].name}
        return Slice(len(page["Items"]), json.dumps(following) if following else None)

    def _position(self, cursor: str | None) -> tuple[int, dict[str, Any] | None]:
        """Which pass, and where in its table (None: from its start). A cursor written before
        the config table was erased too is a bare key of the incidents table."""
        if not cursor:
            return 0, None
        found = json.loads(cursor)
        names = [each.name for each in self._passes]
        if "table" not in found:
            return names.index("incidents"), found
        return names.index(found["table"]), found.get("after")

    def _rewrite_one(
        self,
        job: ErasureJob,
        scrubber: Scrubber,
        current: _Pass,
        item: dict[str, Any],
        cleaned: Rewrite,
    ) -> None:
        for _ in range(_REWRITE_ATTEMPTS):
            if cleaned == item or self._rewrite(job, current.table, [(item, cleaned)]):
                return
            with dynamodb_errors():
                response = self._client.get_item(
                    TableName=current.table,
                    Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
                    ConsistentRead=True,
                )
            if "Item" not in response:
                return
            item = from_item(response["Item"])
            cleaned = current.scrub(item, scrubber, job)
        raise TransientError("a record kept changing while it was being erased; try again")

    def _rewrite(self, job: ErasureJob, table: str, batch: list[Change]) -> bool:
        """One transaction: every rewrite, each provided its item is still as read, and their
        counts on the job. False when an item changed meanwhile (nothing was written)."""
        writes: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for item, cleaned in batch:
            writes += _writes(table, item, cleaned)
            kind = record_kind(str(item["pk"]), str(item["sk"]))
            counts[kind] = counts.get(kind, 0) + 1
        writes.append(_count(self._jobs_table, job.job_id, counts))
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if error_code(error) == "TransactionCanceledException" and any(
                reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
            ):
                return False
            raise
        return True


def _writes(table: str, item: dict[str, Any], cleaned: Rewrite) -> list[dict[str, Any]]:
    """An Update of the changed attributes, a Put under the new key and a Delete of the old one,
    or a Delete; each only if the item is still as read."""
    key = {"pk": item["pk"], "sk": item["sk"]}
    unchanged, names, values = _unchanged(item, [n for n in item if n not in key])
    delete: dict[str, Any] = {
        "TableName": table,
        "Key": to_item(key),
        "ConditionExpression": unchanged,
    }
    if names:
        delete["ExpressionAttributeNames"] = names
    if values:
        delete["ExpressionAttributeValues"] = to_item(values)
    if cleaned is None:
        return [{"Delete": delete}]
    if not _moves(item, cleaned):
        changed = [n for n in cleaned if n not in key and cleaned[n] != item.get(n)]
        assignments = ", ".join(f"#s{i} = :s{i}" for i in range(len(changed)))
        names |= {f"#s{i}": name for i, name in enumerate(changed)}
        values |= {f":s{i}": cleaned[name] for i, name in enumerate(changed)}
        update = {
            "TableName": table,
            "Key": to_item(key),
            "UpdateExpression": f"SET {assignments}",
            "ConditionExpression": unchanged,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }
        return [{"Update": update}]
    put = {
        "TableName": table,
        "Item": to_item(cleaned),
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    return [{"Put": put}, {"Delete": delete}]


def _moves(item: Mapping[str, Any], cleaned: Mapping[str, Any]) -> bool:
    return (cleaned["pk"], cleaned["sk"]) != (item["pk"], item["sk"])


def _batches(changes: list[Change]) -> Iterator[list[Change]]:
    """Groups that fit one transaction: at most 100 actions (one is the count; a moved record
    takes two) and well under its 4 MB (a record's size counts twice: as read and as written)."""
    batch: list[Change] = []
    actions, size = 1, 0
    for item, cleaned in changes:
        needs = 2 if cleaned is not None and _moves(item, cleaned) else 1
        weight = 2 * len(json.dumps(item, default=str))
        if batch and (actions + needs > _MAX_ACTIONS or size + weight > _MAX_BYTES):
            yield batch
            batch, actions, size = [], 1, 0
        batch.append((item, cleaned))
        actions += needs
        size += weight
    if batch:
        yield batch


def _unchanged(
    item: Mapping[str, Any], names: list[str]
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition that every attribute in ``names`` still has the value read."""
    checks = ["attribute_exists(pk)"]
    attribute_names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for index, name in enumerate(names):
        attribute_names[f"#u{index}"] = name
        values[f":u{index}"] = item[name]
        checks.append(f"#u{index} = :u{index}")
    return " AND ".join(checks), attribute_names, values


def _count(table: str, job_id: str, counts: Mapping[str, int]) -> dict[str, Any]:
    kinds = sorted(counts)
    return {
        "Update": {
            "TableName": table,
            "Key": to_item(keys.erasure_job(job_id)),
            "UpdateExpression": "ADD " + ", ".join(f"#k{i} :n{i}" for i in range(len(kinds))),
            "ExpressionAttributeNames": {f"#k{i}": f"changed_{k}" for i, k in enumerate(kinds)},
            "ExpressionAttributeValues": to_item(
                {f":n{i}": counts[k] for i, k in enumerate(kinds)}
            ),
        }
    }
