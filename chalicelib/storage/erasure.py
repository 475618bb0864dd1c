"""Pseudonymise a person throughout the incidents table (timelines, ledger, events).

An administrative operation: it scans the whole table, so it is run by the ``tocsin`` command,
never on the alerting path. Items whose key names the person (ledger items) are rewritten under
a new key; others are rewritten in place.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from chalicelib.core.errors import NotFound
from chalicelib.core.redaction import pseudonymise
from chalicelib.storage.codec import all_items, dynamodb_errors, to_item
from chalicelib.storage.contacts import DynamoContactDirectory


class DynamoIncidentScrubber:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def pseudonymise(self, replacements: Mapping[str, str]) -> int:
        """Replace every occurrence of each key in every item; returns how many items changed."""
        changed = 0
        for item in all_items(self._client, "scan", {"TableName": self._table}):
            cleaned = pseudonymise(item, replacements)
            if cleaned != item:
                self._rewrite(item, cleaned)
                changed += 1
        return changed

    def _rewrite(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        writes: list[dict[str, Any]] = [{"Put": {"TableName": self._table, "Item": to_item(new)}}]
        if (old["pk"], old["sk"]) != (new["pk"], new["sk"]):
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": to_item({"pk": old["pk"], "sk": old["sk"]}),
                    }
                }
            )
        with dynamodb_errors():
            self._client.transact_write_items(TransactItems=writes)


def erase_contact(
    contact_id: str, directory: DynamoContactDirectory, scrubber: DynamoIncidentScrubber
) -> tuple[str, int]:
    """Remove the person, then pseudonymise every mention of them in incident records.

    Returns the pseudonym used (one per erasure, not derived from the person) and how many
    records were rewritten.
    """
    contact = directory.get_contacts([contact_id]).get(contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id!r}")
    pseudonym = f"erased-{secrets.token_hex(4)}"
    replacements = {contact.contact_id: pseudonym}
    replacements.update(
        {value: f"<{pseudonym}>" for value in (contact.phone, contact.email) if value}
    )
    directory.delete(contact)
    return pseudonym, scrubber.pseudonymise(replacements)
