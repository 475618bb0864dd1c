"""Contacts (personal data) and role membership, in the contacts table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.core.model import Contact
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item

BATCH_GET_LIMIT = 100


class DynamoContactDirectory:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, contact: Contact) -> None:
        """Create or replace ``contact`` and make its role memberships match its roles."""
        previous = self.get_contacts([contact.contact_id]).get(contact.contact_id)
        stale_roles = set(previous.roles) - set(contact.roles) if previous else set()
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.contact_profile(contact.contact_id),
                            "contact_id": contact.contact_id,
                            "name": contact.name,
                            "roles": list(contact.roles),
                            "language": contact.language,
                            "phone": contact.phone,
                            "email": contact.email,
                        }
                    ),
                }
            }
        ]
        writes += [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(keys.role_member(role, contact.contact_id)),
                }
            }
            for role in contact.roles
        ]
        writes += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.role_member(role, contact.contact_id)),
                }
            }
            for role in sorted(stale_roles)
        ]
        with dynamodb_errors():
            self._client.transact_write_items(TransactItems=writes)

    def delete(self, contact: Contact) -> None:
        """Remove the person and every role membership, in one transaction."""
        writes = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.contact_profile(contact.contact_id)),
                }
            }
        ]
        writes += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_item(keys.role_member(role, contact.contact_id)),
                }
            }
            for role in contact.roles
        ]
        with dynamodb_errors():
            self._client.transact_write_items(TransactItems=writes)

    def contacts_with_roles(self, roles: Sequence[str]) -> list[Contact]:
        contact_ids: set[str] = set()
        for role in roles:
            contact_ids.update(self._members(role))
        return list(self.get_contacts(sorted(contact_ids)).values())

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        contacts: dict[str, Contact] = {}
        for start in range(0, len(contact_ids), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        to_item(keys.contact_profile(contact_id))
                        for contact_id in contact_ids[start : start + BATCH_GET_LIMIT]
                    ],
                }
            }
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_get_item(RequestItems=pending)
                for item in response["Responses"].get(self._table, []):
                    contact = _contact_from_item(from_item(item))
                    contacts[contact.contact_id] = contact
                pending = response.get("UnprocessedKeys") or {}
        return contacts

    def _members(self, role: str) -> list[str]:
        members = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.role_partition(role)}),
        }
        while True:
            with dynamodb_errors():
                response = self._client.query(**arguments)
            members += [str(item["sk"]["S"]).removeprefix("CONTACT#") for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return members
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _contact_from_item(item: dict[str, Any]) -> Contact:
    return Contact(
        contact_id=item["contact_id"],
        name=item["name"],
        roles=tuple(item.get("roles", [])),
        language=item.get("language", "en"),
        phone=item.get("phone"),
        email=item.get("email"),
    )
