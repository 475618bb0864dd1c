"""Erasure jobs, in the contacts table::

    ERASURE#<job> / JOB        state, cursor, version, counts (changed_<kind>); the person's
                               identifiers only while it runs
    CONTACT#<id>  / ERASING    the person is being erased, by that job

A job begins in one transaction with the person's removal from the directory and its access
record; every checkpoint is conditional on the version read, so two deliveries of the same job
never both move it on; finishing forgets the person, frees their id and starts the job's expiry.
The records a job scrubs, and their counts, are :mod:`chalicelib.storage.erasure`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.model import Contact
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.core.privacy.jobs import RECORD_KINDS, BeginOutcome, ErasureJob, ErasureStatus
from chalicelib.core.privacy.scrubbing import Person
from chalicelib.storage import keys
from chalicelib.storage.audit import access_put
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.retention import EXPIRES_AT, epoch, is_expired


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
