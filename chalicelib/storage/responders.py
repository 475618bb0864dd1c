"""Who was paged for which incident, with their link token and reply code (incidents table).

INCIDENT#<id> / RESPONDER#<contact>   the pass: token, code, expiry ("was this person paged?")
ACKLINK#<token> / LINK                 the link's owner, for GET/POST /a/{token}
PAGED#<contact> / INCIDENT#<id>        for an SMS reply: the person's incidents and their codes

The three items are written together, idempotently (the same incident and person always get the
same token and code), once per person per dispatch: 33 people (99 items) a transaction, so each
pass's three items land together and 50 people cost two calls; a transaction another writer's
conflicts with falls back to BatchWriteItem (25 items a call; the same idempotent puts). The
pass carries its incident's expiry; the two lookups are kept for the playbook's ``links`` period
after the link stops working, never past the incident. Reads treat an expired record as gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.messaging.passes import ResponderPass
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.retention import EXPIRES_AT, IncidentExpiries, Lifetimes, is_expired

_PER_TRANSACTION = 99  # 33 passes of 3 items: TransactWriteItems holds 100
# Another writer's transaction on the same items (a dispatch of the same people's other channel).
_FALL_BACK = frozenset({"TransactionCanceledException", "TransactionConflictException"})


class DynamoResponderRegistry:
    def __init__(
        self,
        client: Any,
        table_name: str,
        lifetimes: Lifetimes | None = None,
        expiries: IncidentExpiries | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lifetimes = lifetimes or Lifetimes()
        self._expiries = expiries or IncidentExpiries(client, table_name)

    def register(self, passes: Sequence[ResponderPass]) -> None:
        requests = [{"PutRequest": {"Item": put["Put"]["Item"]}} for put in self.writes(passes)]
        for start in range(0, len(requests), _PER_TRANSACTION):
            chunk = requests[start : start + _PER_TRANSACTION]
            puts = [{"Put": {"TableName": self._table, **put["PutRequest"]}} for put in chunk]
            try:
                with dynamodb_errors():
                    self._client.transact_write_items(TransactItems=puts)
            except ClientError as error:
                if error_code(error) not in _FALL_BACK:
                    raise
                self._write_in_batches(chunk)

    def writes(self, passes: Sequence[ResponderPass]) -> list[dict[str, Any]]:
        """The transaction items that register ``passes`` (three a pass), for a caller that
        writes them with its own (the ledger, beside the claims: ``claim_all_registering``)."""
        writes: list[dict[str, Any]] = []
        links = self._lifetimes.retention().links  # an expired link still says "expired"
        for found in passes:
            fields: dict[str, Any] = {
                "incident_id": found.incident_id,
                "contact_id": found.contact_id,
                "token": found.token,
                "code": found.code,
                "valid_until": found.expires_at.isoformat(),
            }
            cleanup: dict[str, Any] = {
                EXPIRES_AT: self._expiries.capped(found.incident_id, found.expires_at + links)
            }
            own = {EXPIRES_AT: self._expiries.of(found.incident_id)}
            items: list[dict[str, Any]] = [
                {**keys.responder(found.incident_id, found.contact_id), **fields, **own},
                {**keys.ack_link(found.token), **fields, **cleanup},
                {**keys.paged(found.contact_id, found.incident_id), **fields, **cleanup},
            ]
            writes += [{"Put": {"TableName": self._table, "Item": to_item(i)}} for i in items]
        return writes

    def _write_in_batches(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def find(self, incident_id: str, contact_id: str) -> ResponderPass | None:
        return self._get(keys.responder(incident_id, contact_id))

    def by_token(self, token: str) -> ResponderPass | None:
        return self._get(keys.ack_link(token))

    def for_contact(self, contact_id: str) -> list[ResponderPass]:
        """Every incident the person was paged for whose pass is still kept, newest first."""
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": keys.paged_partition(contact_id)}),
                ScanIndexForward=False,
            )
        now = self._lifetimes.now()
        return [
            _pass(item)
            for item in (from_item(raw) for raw in response["Items"])
            if not is_expired(item, now)
        ]

    def _get(self, key: dict[str, str]) -> ResponderPass | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(key), ConsistentRead=True
            )
        if "Item" not in response:
            return None
        item = from_item(response["Item"])
        return None if is_expired(item, self._lifetimes.now()) else _pass(item)


def _pass(item: dict[str, Any]) -> ResponderPass:
    return ResponderPass(
        incident_id=item["incident_id"],
        contact_id=item["contact_id"],
        token=item["token"],
        code=item["code"],
        expires_at=datetime.fromisoformat(item["valid_until"]),
    )
