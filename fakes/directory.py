"""People in memory: the contact directory, who owns a phone number, opt-outs and addresses
that no longer work, by the rules of ``storage/contacts.py`` (contract suite:
``tests/functional/test_directory_and_playbook.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from chalicelib.core.model import Channel, Contact


class MemoryDirectory:
    def __init__(self, contacts: Iterable[Contact] = ()) -> None:
        self._contacts: dict[str, Contact] = {}
        for contact in contacts:
            self.put(contact)

    def put(self, contact: Contact) -> None:
        """Create or replace the person; memberships follow their roles, teams and labels."""
        self._contacts[contact.contact_id] = contact

    def delete(self, contact: Contact) -> None:
        self._contacts.pop(contact.contact_id, None)

    def members(
        self, roles: Sequence[str], teams: Sequence[str] = (), labels: Sequence[str] = ()
    ) -> list[Contact]:
        """Everyone holding one of ``roles``, in one of ``teams`` or carrying one of
        ``labels``, each once."""
        wanted_roles, wanted_teams, wanted_labels = set(roles), set(teams), set(labels)
        return [
            contact
            for contact_id, contact in sorted(self._contacts.items())
            if wanted_roles & set(contact.roles)
            or wanted_teams & set(contact.teams)
            or wanted_labels & set(contact.labels)
        ]

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        return {c: self._contacts[c] for c in contact_ids if c in self._contacts}

    def mark_unusable(self, contact_id: str, channel: Channel) -> bool:
        contact = self._contacts.get(contact_id)
        if contact is None or channel in contact.unusable:
            return False
        self.put(replace(contact, unusable=contact.unusable | {channel}))
        return True

    def opt_out(self, contact_id: str, channel: Channel) -> bool:
        contact = self._contacts.get(contact_id)
        if contact is None or channel in contact.opted_out:
            return False
        self.put(replace(contact, opted_out=contact.opted_out | {channel}))
        return True

    def owners_of(self, phone: str) -> list[str]:
        return sorted(c for c, contact in self._contacts.items() if contact.phone == phone)

    def everyone(self) -> list[Contact]:
        return [contact for _, contact in sorted(self._contacts.items())]
