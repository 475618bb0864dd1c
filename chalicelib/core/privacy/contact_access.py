"""Reading and saving people, every access on record.

:class:`ContactAccess` is the only way the edges (the contacts API, the ``tocsin`` command, the
CSV import and ``tocsin import`` matching users) read or save a person, so none of them can
forget the record: a read is recorded before the data is returned, a save in the same write as
the contact.
"""

from __future__ import annotations

from chalicelib.core.errors import NotFound
from chalicelib.core.model import Contact
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock
from chalicelib.core.privacy.audit import AccessAction, AccessRecord, Actor
from chalicelib.core.privacy.ports import AccessLog, PeopleStore


class ContactAccess:
    """Reading and saving people, each access recorded."""

    def __init__(
        self,
        people: PeopleStore,
        log: AccessLog,
        playbooks: PlaybookSource,
        clock: Clock,
    ) -> None:
        self._people = people
        self._log = log
        self._playbooks = playbooks
        self._clock = clock

    def record(self, contact_id: str, action: AccessAction, actor: Actor) -> AccessRecord:
        """The record of one access, kept for the playbook's ``audit`` period."""
        now = self._clock.now()
        keep = self._playbooks.load().retention.audit
        return AccessRecord(contact_id, action, actor.name, actor.via, now, now + keep)

    def read(self, contact_id: str, actor: Actor) -> Contact:
        """The person, once the read is on record (no record, no data)."""
        contact = self._people.get_contacts([contact_id]).get(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        self._log.record(self.record(contact_id, AccessAction.READ, actor))
        return contact

    def save(self, contact: Contact, actor: Actor) -> AccessAction:
        """Create or update the person (Conflict while their erasure runs); unchanged ones are
        not rewritten, but the attempt is on record."""
        before = self._people.get_contacts([contact.contact_id]).get(contact.contact_id)
        if before == contact and contact.contact_id not in self._people.outdated:
            self._log.record(self.record(contact.contact_id, AccessAction.UNCHANGED, actor))
            return AccessAction.UNCHANGED
        action = AccessAction.UPDATED if before else AccessAction.CREATED
        self._people.save(contact, self.record(contact.contact_id, action, actor))
        return action

    def everyone(self, actor: Actor) -> list[Contact]:
        """Every person (an administrative read: ``tocsin import`` matching a tool's users by
        address), each read on record before any is returned."""
        people = self._people.everyone()
        now = self._clock.now()
        keep = self._playbooks.load().retention.audit
        for person in people:
            read = AccessRecord(
                person.contact_id, AccessAction.READ, actor.name, actor.via, now, now + keep
            )
            self._log.record(read)
        return people

    def history(self, contact_id: str) -> list[AccessRecord]:
        """Every access still kept, oldest first (the person may have been erased since)."""
        return self._log.for_contact(contact_id)
