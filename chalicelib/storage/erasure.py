"""Erasure jobs (contacts table) and the records they scrub (incidents table), by structure.

ERASURE#<job> / JOB        state, cursor, version, counts (changed_<kind>); the person's
                           identifiers only while it runs
CONTACT#<id>  / ERASING    the person is being erased, by that job

Each record that mentions the person is rewritten in the same transaction as its count on the
job (the rewrites of one Scan page share as few transactions as the limits allow):

    read page ─▶ scrub each item (pure) ─▶ unchanged: nothing
                                       └▶ changed: [rewrites, each if its item is still as read]
                                                   + [counts], in one transaction
                                           └ an item changed meanwhile ─▶ nothing written; then
                                             item by item, reading again whichever changed

so a slice that fails halfway and runs again finds the rewritten records clean and counts each
record once. Which attributes hold ids, Tocsin's own words or free text is this module's
knowledge of the table (:data:`ITEM`); the rules themselves are the core's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.model import Contact
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.core.privacy.jobs import (
    RECORD_KINDS,
    BeginOutcome,
    ErasureJob,
    ErasureStatus,
    Slice,
)
from chalicelib.core.privacy.scrubbing import (
    EVENT,
    FREE,
    RESPONSE_STATE,
    TIMELINE_DATA,
    Layout,
    Person,
    Scrubber,
)
from chalicelib.storage import keys
from chalicelib.storage.audit import access_put
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.retention import EXPIRES_AT, epoch, is_expired

_REWRITE_ATTEMPTS = 3
_MAX_ACTIONS = 100  # TransactWriteItems' limit
_MAX_BYTES = 2_000_000  # estimated; DynamoDB's limit is 4 MB a transaction

# The incidents table's attributes: ids (exact), Tocsin's own words and times (kept), JSON
# documents of a known layout; anything else is free text.
ITEM = Layout(
    ids=frozenset({"contact_id", "requested_by"}),
    kept=frozenset(
        {
            "pk",
            "sk",
            "incident_id",
            "event_id",
            "status",
            "channel",
            "notice",
            "kind",
            "at",
            "severity",
            "type",
            "event_status",
            "outcome",
            "code",
            "format",
            "rule_id",
            "plan_id",
            "opened_at",
            "updated_at",
            "resolved_at",
            "received_at",
            "decided_at",
            "claimed_at",
            "finished_at",
            "attempts",
            "step",
            "message_id",
            "token",
            "valid_until",
            "due_pk",
            "due_at",
            "response_version",
            "event_count",
            "playbook_version",
            "log_version",
            "delivery",
            "entries",
            "count",
            EXPIRES_AT,
        }
    ),
)
JSON_ATTRIBUTES: Mapping[str, Layout] = {
    "data": TIMELINE_DATA,
    "response_state": RESPONSE_STATE,
    "event": EVENT,
    "original": FREE,
}


def record_kind(pk: str, sk: str) -> str:
    """Which kind of record an item is, for the job's counts."""
    if pk.startswith("EVENT#"):
        return "events"
    if pk.startswith("INCIDENT#"):
        for prefix, kind in (
            ("INCIDENT", "incidents"),
            ("TL#", "timeline"),
            (keys.SEND_PREFIX, "sends"),
            ("RESPONDER#", "passes"),
        ):
            if sk.startswith(prefix):
                return kind
        return "other"
    if pk.startswith(("ACKLINK#", "PAGED#")):
        return "passes"
    if pk.startswith("MSG#"):
        return "message_ids"
    if pk.startswith(("DEDUP#", "ACTIVATIONS#")):
        return "dedup"
    return "other"


def scrub_item(item: Mapping[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """The item without the person (equal to ``item`` when it never mentioned them)."""
    cleaned: dict[str, Any] = {}
    for name, value in item.items():
        if name in JSON_ATTRIBUTES and isinstance(value, str):
            cleaned[name] = _scrub_json(value, scrubber, JSON_ATTRIBUTES[name])
        elif name in ITEM.kept:
            cleaned[name] = value
        elif name in ITEM.ids and isinstance(value, str):
            cleaned[name] = scrubber.exact(value)
        else:
            cleaned[name] = scrubber.document(value)
    mentions = cleaned != item
    cleaned["pk"], cleaned["sk"] = _scrub_key(str(item["pk"]), str(item["sk"]), scrubber, mentions)
    return cleaned


def _scrub_json(text: str, scrubber: Scrubber, layout: Layout) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        return scrubber.text(text)
    cleaned = scrubber.document(document, layout)
    return text if cleaned == document else json.dumps(cleaned, default=str)


def _scrub_key(pk: str, sk: str, scrubber: Scrubber, mentions: bool) -> tuple[str, str]:
    """Keys by their layout (keys.py): the contact segment of ``SEND#<contact>#...``,
    ``RESPONDER#<contact>`` and ``PAGED#<contact>`` exactly; a dedup key as the free text it
    is; a timeline entry's key only when the entry mentions the person."""
    for prefix in ("PAGED#",):
        if pk.startswith(prefix):
            pk = prefix + scrubber.exact(pk.removeprefix(prefix))
    for prefix in ("DEDUP#", "ACTIVATIONS#KEY#"):
        if pk.startswith(prefix):
            pk = prefix + scrubber.text(pk.removeprefix(prefix))
    if sk.startswith(keys.SEND_PREFIX):
        parts = sk.split("#")
        parts[1] = scrubber.exact(parts[1])
        sk = "#".join(parts)
    elif sk.startswith("RESPONDER#"):
        sk = "RESPONDER#" + scrubber.exact(sk.removeprefix("RESPONDER#"))
    elif sk.startswith("TL#K#") and mentions:
        sk = "TL#K#" + scrubber.key_part(sk.removeprefix("TL#K#"))
    return pk, sk


class DynamoPersonalRecords:
    """The records an erasure scrubs: every item of the incidents table, one Scan page at a
    time. The rewrites of a page go in as few transactions as DynamoDB allows (each with the
    count of what it rewrote); one whose record changed meanwhile falls back to one transaction
    per record, reading each again."""

    def __init__(self, client: Any, incidents_table: str, jobs_table: str) -> None:
        self._client = client
        self._table = incidents_table
        self._jobs_table = jobs_table

    def scrub(self, job: ErasureJob, scrubber: Scrubber, cursor: str | None, limit: int) -> Slice:
        arguments: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if cursor:
            arguments["ExclusiveStartKey"] = json.loads(cursor)
        with dynamodb_errors():
            page = self._client.scan(**arguments)
        rewrites = []
        for raw in page["Items"]:
            item = from_item(raw)
            cleaned = scrub_item(item, scrubber)
            if cleaned != item:
                rewrites.append((item, cleaned))
        for batch in _batches(rewrites):
            if not self._rewrite(job, batch):
                for item, cleaned in batch:
                    self._rewrite_one(job, scrubber, item, cleaned)
        last = page.get("LastEvaluatedKey")
        return Slice(len(page["Items"]), json.dumps(last) if last else None)

    def _rewrite_one(
        self, job: ErasureJob, scrubber: Scrubber, item: dict[str, Any], cleaned: dict[str, Any]
    ) -> None:
        for _ in range(_REWRITE_ATTEMPTS):
            if cleaned == item or self._rewrite(job, [(item, cleaned)]):
                return
            with dynamodb_errors():
                response = self._client.get_item(
                    TableName=self._table,
                    Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
                    ConsistentRead=True,
                )
            if "Item" not in response:
                return
            item = from_item(response["Item"])
            cleaned = scrub_item(item, scrubber)
        raise TransientError("a record kept changing while it was being erased; try again")

    def _rewrite(self, job: ErasureJob, batch: list[tuple[dict[str, Any], dict[str, Any]]]) -> bool:
        """One transaction: every rewrite, each provided its item is still as read, and their
        counts on the job. False when an item changed meanwhile (nothing was written)."""
        writes: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for item, cleaned in batch:
            writes += self._writes(item, cleaned)
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

    def _writes(self, item: dict[str, Any], cleaned: dict[str, Any]) -> list[dict[str, Any]]:
        """An Update of the changed attributes, or a Put under the new key and a Delete of the
        old one; either only if the item is still as read."""
        key = {"pk": item["pk"], "sk": item["sk"]}
        unchanged, names, values = _unchanged(item, [n for n in item if n not in key])
        if (cleaned["pk"], cleaned["sk"]) == (item["pk"], item["sk"]):
            changed = [name for name in item if cleaned[name] != item[name]]
            assignments = ", ".join(f"#s{i} = :s{i}" for i in range(len(changed)))
            names |= {f"#s{i}": name for i, name in enumerate(changed)}
            values |= {f":s{i}": cleaned[name] for i, name in enumerate(changed)}
            update = {
                "TableName": self._table,
                "Key": to_item(key),
                "UpdateExpression": f"SET {assignments}",
                "ConditionExpression": unchanged,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
            return [{"Update": update}]
        put = {
            "TableName": self._table,
            "Item": to_item(cleaned),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        delete: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(key),
            "ConditionExpression": unchanged,
        }
        if names:
            delete["ExpressionAttributeNames"] = names
        if values:
            delete["ExpressionAttributeValues"] = to_item(values)
        return [{"Put": put}, {"Delete": delete}]


def _batches(
    rewrites: list[tuple[dict[str, Any], dict[str, Any]]],
) -> Iterator[list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Groups that fit one transaction: at most 100 actions (one is the count; a moved record
    takes two) and well under its 4 MB (a record's size counts twice: as read and as written)."""
    batch: list[tuple[dict[str, Any], dict[str, Any]]] = []
    actions, size = 1, 0
    for item, cleaned in rewrites:
        needs = 1 if (cleaned["pk"], cleaned["sk"]) == (item["pk"], item["sk"]) else 2
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


class DynamoErasureJobs:
    def __init__(
        self,
        client: Any,
        contacts_table: str,
        directory: DynamoContactDirectory,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._table = contacts_table
        self._directory = directory
        self._now = now or (lambda: datetime.now(UTC))

    def running_for(self, contact_id: str) -> str | None:
        item = self._get(keys.erasing(contact_id))
        return str(item["job_id"]) if item else None

    def get(self, job_id: str) -> ErasureJob | None:
        item = self._get(keys.erasure_job(job_id))
        if item is None or is_expired(item, self._now()):
            return None
        return _job(item)

    def begin(self, job: ErasureJob, contact: Contact, record: AccessRecord) -> BeginOutcome:
        assert job.person is not None
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({**keys.erasing(contact.contact_id), "job_id": job.job_id}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *self._directory.deletion(contact, only_if_unchanged=True),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(_job_item(job)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            access_put(self._table, record),
        ]
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if error_code(error) != "TransactionCanceledException" or not reasons:
                raise
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                return BeginOutcome.RUNNING
            if reasons[1].get("Code") == "ConditionalCheckFailed":
                return BeginOutcome.CHANGED
            raise
        return BeginOutcome.BEGUN

    def checkpoint(self, job: ErasureJob, cursor: str | None, scanned: int) -> ErasureJob | None:
        values: dict[str, Any] = {
            ":seen": job.version,
            ":next": job.version + 1,
            ":scanned": scanned,
            ":now": self._now().isoformat(),
            ":running": ErasureStatus.RUNNING.value,
        }
        expression = "SET version = :next, scanned = :scanned, updated_at = :now"
        if cursor is None:
            expression += " REMOVE #cursor"
        else:
            expression += ", #cursor = :cursor"
            values[":cursor"] = cursor
        return self._update(job.job_id, expression, values, {"#cursor": "cursor"})

    def note_failure(self, job_id: str, error: str, at: datetime) -> None:
        with dynamodb_errors():
            self._client.update_item(
                TableName=self._table,
                Key=to_item(keys.erasure_job(job_id)),
                UpdateExpression="ADD failures :one SET last_error = :error, last_failed_at = :at",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item(
                    {":one": 1, ":error": error, ":at": at.isoformat()}
                ),
            )

    def finish(
        self, job: ErasureJob, at: datetime, keep_until: datetime, record: AccessRecord
    ) -> ErasureJob | None:
        assert job.person is not None
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(keys.erasure_job(job.job_id)),
            "UpdateExpression": "SET #status = :done, finished_at = :at, updated_at = :at, "
            f"version = :next, {EXPIRES_AT} = :expires "
            "REMOVE contact_id, phone, email, #cursor",
            "ConditionExpression": "version = :seen AND #status = :running",
            "ExpressionAttributeNames": {"#status": "status", "#cursor": "cursor"},
            "ExpressionAttributeValues": to_item(
                {
                    ":done": ErasureStatus.DONE.value,
                    ":running": ErasureStatus.RUNNING.value,
                    ":at": at.isoformat(),
                    ":next": job.version + 1,
                    ":seen": job.version,
                    ":expires": epoch(keep_until),
                }
            ),
        }
        release = {
            "TableName": self._table,
            "Key": to_item(keys.erasing(job.person.contact_id)),
            "ConditionExpression": "job_id = :job",
            "ExpressionAttributeValues": to_item({":job": job.job_id}),
        }
        try:
            with dynamodb_errors():
                self._client.transact_write_items(
                    TransactItems=[
                        {"Update": update},
                        {"Delete": release},
                        access_put(self._table, record),
                    ]
                )
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                return None
            raise
        return self.get(job.job_id)

    def _update(
        self, job_id: str, expression: str, values: dict[str, Any], names: dict[str, str]
    ) -> ErasureJob | None:
        try:
            with dynamodb_errors():
                response = self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.erasure_job(job_id)),
                    UpdateExpression=expression,
                    ConditionExpression="version = :seen AND #status = :running",
                    ExpressionAttributeNames={**names, "#status": "status"},
                    ExpressionAttributeValues=to_item(values),
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return _job(from_item(response["Attributes"]))

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(key), ConsistentRead=True
            )
        return from_item(response["Item"]) if "Item" in response else None


def _job_item(job: ErasureJob) -> dict[str, Any]:
    assert job.person is not None
    return {
        **keys.erasure_job(job.job_id),
        "job_id": job.job_id,
        "status": job.status.value,
        "pseudonym": job.pseudonym,
        "requested_by": job.requested_by,
        "requested_via": job.requested_via,
        "requested_at": job.requested_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "contact_id": job.person.contact_id,
        "phone": job.person.phone,
        "email": job.person.email,
        "version": job.version,
        "scanned": job.scanned,
    }


def _job(item: Mapping[str, Any]) -> ErasureJob:
    finished = item.get("finished_at")
    person = (
        Person(item["contact_id"], item.get("phone"), item.get("email"))
        if "contact_id" in item
        else None
    )
    return ErasureJob(
        job_id=item["job_id"],
        status=ErasureStatus(item["status"]),
        pseudonym=item["pseudonym"],
        requested_by=item["requested_by"],
        requested_via=item.get("requested_via", "api"),
        requested_at=datetime.fromisoformat(item["requested_at"]),
        person=person,
        updated_at=datetime.fromisoformat(item["updated_at"]),
        cursor=item.get("cursor"),
        version=int(item.get("version", 0)),
        scanned=int(item.get("scanned", 0)),
        changed={kind: int(item.get(f"changed_{kind}", 0)) for kind in RECORD_KINDS},
        failures=int(item.get("failures", 0)),
        last_error=item.get("last_error"),
        finished_at=datetime.fromisoformat(finished) if finished else None,
    )
