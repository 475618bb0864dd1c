"""Contacts (personal data) and their role and team memberships, in the contacts table.

CONTACT#<id> / PROFILE     the person
ROLE#<role>  / CONTACT#<id> membership, so "who holds role X" is one query
TEAM#<team>  / CONTACT#<id>
LABEL#<label> / CONTACT#<id> who carries a label ("building-a"), for a check-in's audience
PHONE#<hash> / CONTACT#<id> who has a number, for inbound SMS (the number is hashed, not kept)
CONTACT#<id> / ERASING     the person is being erased (by which job): saving them is refused
DIRECTORY / VERSION        raised by every save that adds a membership (see members)

Every save is one transaction that checks the person is not being erased, so a save can never
slip in behind an erasure that has already copied the person's identifiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import Conflict
from chalicelib.core.model import Channel, Contact
from chalicelib.core.people import contact_document
from chalicelib.core.privacy.audit import AccessRecord
from chalicelib.storage import keys
from chalicelib.storage.audit import access_put
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item

BATCH_GET_LIMIT = 100
INDEX_VERSION = 2  # 2: the PHONE# pointer exists; a contact saved before needs saving again


class DynamoContactDirectory:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self.outdated: set[str] = set()  # contacts read whose pointers predate INDEX_VERSION
        # Who is in which role, team or label, as read at directory version ``_version``.
        self._memberships: dict[str, list[str]] = {}
        self._version: int | None = None

    def put(self, contact: Contact) -> None:
        """Create or replace ``contact`` and make its memberships match its roles and teams
        (Conflict while the person is being erased)."""
        self._save(contact, [])

    def save(self, contact: Contact, record: AccessRecord) -> None:
        """As :meth:`put`, with the record of who saved the person, in the same transaction."""
        self._save(contact, [access_put(self._table, record)])

    def _save(self, contact: Contact, extra: list[dict[str, Any]]) -> None:
        previous = self.get_contacts([contact.contact_id]).get(contact.contact_id)
        wanted = _memberships(contact)
        stale = _memberships(previous) - wanted if previous else set()
        writes: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item(keys.erasing(contact.contact_id)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(_contact_item(contact))}},
        ]
        writes += [
            {"Put": {"TableName": self._table, "Item": to_item({"pk": pk, "sk": sk})}}
            for pk, sk in sorted(wanted)
        ]
        writes += [
            {"Delete": {"TableName": self._table, "Key": to_item({"pk": pk, "sk": sk})}}
            for pk, sk in sorted(stale)
        ]
        joined = wanted - (_memberships(previous) if previous else set())
        if any(not pk.startswith("PHONE#") for pk, _ in joined):
            writes.append(self._raise_version())
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes + extra)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if (
                error_code(error) == "TransactionCanceledException"
                and reasons
                and reasons[0].get("Code") == "ConditionalCheckFailed"
            ):
                raise Conflict(
                    f"contact {contact.contact_id} is being erased; save it again once the "
                    "erasure is done"
                ) from None
            raise

    def delete(self, contact: Contact) -> None:
        """Remove the person and every membership, in one transaction."""
        with dynamodb_errors():
            self._client.transact_write_items(TransactItems=self.deletion(contact))

    def deletion(self, contact: Contact, only_if_unchanged: bool = False) -> list[dict[str, Any]]:
        """The transaction items that remove the person and their memberships; with
        ``only_if_unchanged``, the profile's removal fails if the identifiers, roles or teams
        are no longer the ones in ``contact`` (someone saved the person meanwhile)."""
        profile: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(keys.contact_profile(contact.contact_id)),
        }
        if only_if_unchanged:
            names, values, checks = {}, {}, []
            for index, name in enumerate(("phone", "email", "roles", "teams")):
                value = contact_document(contact)[name]
                names[f"#f{index}"] = name
                if value is None:
                    checks.append(f"attribute_not_exists(#f{index})")
                else:
                    checks.append(f"#f{index} = :f{index}")
                    values[f":f{index}"] = value
            profile["ConditionExpression"] = "attribute_exists(pk) AND " + " AND ".join(checks)
            profile["ExpressionAttributeNames"] = names
            profile["ExpressionAttributeValues"] = to_item(values)
        writes: list[dict[str, Any]] = [{"Delete": profile}]
        writes += [
            {"Delete": {"TableName": self._table, "Key": to_item({"pk": pk, "sk": sk})}}
            for pk, sk in sorted(_memberships(contact))
        ]
        return writes

    def members(
        self, roles: Sequence[str], teams: Sequence[str] = (), labels: Sequence[str] = ()
    ) -> list[Contact]:
        """Everyone holding one of ``roles``, in one of ``teams`` or carrying one of
        ``labels``, each once.

        Warm, one read: the memberships read before, checked against the directory version
        read in the same BatchGetItem as the people. Unchanged, nobody joined since; whoever
        left shows on their own record (read now), and is left out. Changed (or cold): the
        version first, then the memberships again (a query per role, team and label), so a
        save between the two is seen by the next check."""
        partitions = [keys.role_partition(r) for r in roles]
        partitions += [keys.team_partition(t) for t in teams]
        partitions += [keys.label_partition(label) for label in labels]
        if self._version is not None and all(p in self._memberships for p in partitions):
            ids = sorted({i for p in partitions for i in self._memberships[p]})
            contacts, version = self._contacts_and_version(ids)
            if version == self._version:
                wanted = (set(roles), set(teams), set(labels))
                return [c for c in contacts.values() if _belongs(c, *wanted)]
        version = self._current_version()
        if version != self._version:
            self._memberships.clear()
        for partition in partitions:
            self._memberships[partition] = self._members(partition)
        self._version = version
        contact_ids = {i for p in partitions for i in self._memberships[p]}
        return list(self.get_contacts(sorted(contact_ids)).values())

    def _raise_version(self) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(keys.directory_version()),
                "UpdateExpression": "ADD version :one",
                "ExpressionAttributeValues": to_item({":one": 1}),
            }
        }

    def _current_version(self) -> int:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.directory_version()), ConsistentRead=True
            )
        item = response.get("Item")
        return _version_of(from_item(item) if item else None)

    def _contacts_and_version(self, contact_ids: Sequence[str]) -> tuple[dict[str, Contact], int]:
        """The people and the directory version (read consistently), in one BatchGetItem when
        they fit one."""
        contacts: dict[str, Contact] = {}
        first = [to_item(keys.contact_profile(i)) for i in contact_ids[: BATCH_GET_LIMIT - 1]]
        others = self._read([*first, to_item(keys.directory_version())], contacts, True)
        contacts.update(self.get_contacts(contact_ids[BATCH_GET_LIMIT - 1 :]))
        return contacts, _version_of(others[0] if others else None)

    def mark_unusable(self, contact_id: str, channel: Channel) -> bool:
        """Stop using the person's address on ``channel``; False if they are gone or it was
        already marked. The address stays, so that someone can check and fix it."""
        contact = self.get_contacts([contact_id]).get(contact_id)
        if contact is None or channel in contact.unusable:
            return False
        self.put(replace(contact, unusable=contact.unusable | {channel}))
        return True

    def opt_out(self, contact_id: str, channel: Channel) -> bool:
        """The person asked (an SMS STOP, say) not to be reached on ``channel`` again."""
        contact = self.get_contacts([contact_id]).get(contact_id)
        if contact is None or channel in contact.opted_out:
            return False
        self.put(replace(contact, opted_out=contact.opted_out | {channel}))
        return True

    def owners_of(self, phone: str) -> list[str]:
        """The contacts with this number (usually one)."""
        return self._members(keys.phone_partition(phone))

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        contacts: dict[str, Contact] = {}
        for start in range(0, len(contact_ids), BATCH_GET_LIMIT):
            chunk = contact_ids[start : start + BATCH_GET_LIMIT]
            self._read([to_item(keys.contact_profile(i)) for i in chunk], contacts)
        return contacts

    def _read(
        self, wanted: list[dict[str, Any]], contacts: dict[str, Contact], consistent: bool = False
    ) -> list[dict[str, Any]]:
        """Read ``wanted`` keys (at most 100) into ``contacts``; the other items read."""
        others = []
        pending: dict[str, Any] = {self._table: {"Keys": wanted, "ConsistentRead": consistent}}
        while pending:
            with dynamodb_errors():
                response = self._client.batch_get_item(RequestItems=pending)
            for item in response["Responses"].get(self._table, []):
                raw = from_item(item)
                if raw["sk"] != "PROFILE":
                    others.append(raw)
                    continue
                contact = _contact_from_item(raw)
                contacts[contact.contact_id] = contact
                if int(raw.get("index_version", 1)) < INDEX_VERSION:
                    self.outdated.add(contact.contact_id)
            pending = response.get("UnprocessedKeys") or {}
        return others

    def everyone(self) -> list[Contact]:
        """Every contact. A scan: for administrative commands (``tocsin import`` matching
        users by email), never on the alerting path."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :profile",
            "ExpressionAttributeValues": to_item({":profile": keys.contact_profile("-")["sk"]}),
        }
        return [_contact_from_item(item) for item in all_items(self._client, "scan", arguments)]

    def _members(self, partition: str) -> list[str]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": partition}),
        }
        return [
            str(item["sk"]).removeprefix("CONTACT#")
            for item in all_items(self._client, "query", arguments)
        ]


def _belongs(contact: Contact, roles: set[str], teams: set[str], labels: set[str]) -> bool:
    return bool(
        roles.intersection(contact.roles)
        or teams.intersection(contact.teams)
        or labels.intersection(contact.labels)
    )


def _version_of(raw: dict[str, Any] | None) -> int:
    return int(raw.get("version", 0)) if raw else 0


def _memberships(contact: Contact) -> set[tuple[str, str]]:
    found = [keys.role_member(role, contact.contact_id) for role in contact.roles]
    found += [keys.team_member(team, contact.contact_id) for team in contact.teams]
    found += [keys.label_member(label, contact.contact_id) for label in contact.labels]
    found += [keys.phone_owner(contact.phone, contact.contact_id)] if contact.phone else []
    return {(key["pk"], key["sk"]) for key in found}


def _contact_item(contact: Contact) -> dict[str, Any]:
    return {
        **keys.contact_profile(contact.contact_id),
        **contact_document(contact),
        "index_version": INDEX_VERSION,
    }


def _contact_from_item(item: dict[str, Any]) -> Contact:
    consents = item.get("consent")
    return Contact(
        contact_id=item["contact_id"],
        name=item["name"],
        roles=tuple(item.get("roles", [])),
        language=item.get("language", "en"),
        phone=item.get("phone"),
        email=item.get("email"),
        teams=tuple(item.get("teams", [])),
        timezone=item.get("timezone", "UTC"),
        push_tokens=tuple(item.get("push_tokens", [])),
        consents=frozenset(Channel(c) for c in consents) if consents is not None else None,
        opted_out=frozenset(Channel(c) for c in item.get("opted_out", [])),
        unusable=frozenset(Channel(c) for c in item.get("unusable", [])),
        reports_to=item.get("reports_to"),
        labels=tuple(item.get("labels", [])),
        working_hours=tuple(item.get("working_hours", [])),
    )
