"""Who a vendor's user is in Tocsin: the contact with their email address, or an explicit map.

Contacts come from a CSV file in the ``tocsin contacts import`` format (``--contacts``, offline)
or from the contact directory of the stack the command points at. ``--map USER=CONTACT_ID``
names a contact for a user whose address differs, or whom the export names without one (an
iCalendar summary holding a username, say); USER may be the vendor's user id, username or email.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from chalicelib.core.model import Contact
from tocsin_cli.importers.findings import Findings, Where

_PLAYBOOK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class People:
    def __init__(self, contacts: Iterable[Contact], mapping: Mapping[str, str], source: str):
        known = list(contacts)
        self.source = source
        self._ids = {contact.contact_id for contact in known}
        self._by_email = {c.email.lower(): c.contact_id for c in known if c.email}
        self._mapping = {user.strip().lower(): contact for user, contact in mapping.items()}

    def contact_for(
        self,
        identities: Sequence[str | None],
        label: str,
        where: Where,
        findings: Findings,
        unit: str | None,
    ) -> str | None:
        """The contact id for a user known by ``identities`` (id, username, email, in any
        order); None, with a problem recorded at ``where``, when there is none."""
        names = [name.strip() for name in identities if name and name.strip()]
        contact = next(
            (self._mapping[n.lower()] for n in names if n.lower() in self._mapping), None
        )
        if contact is not None and contact not in self._ids:
            findings.problem(where, f"--map names {contact!r}, which is not a contact", unit)
            return None
        if contact is None:
            contact = next(
                (self._by_email[n.lower()] for n in names if n.lower() in self._by_email), None
            )
        if contact is None:
            addresses = [n for n in names if "@" in n]
            why = (
                f"no contact has the address {addresses[0]}"
                if addresses
                else "the export gives no email address for them"
            )
            findings.problem(
                where,
                f"{label} is not a contact: {why} (contacts from {self.source}); add them with "
                f"`tocsin contacts import`, or map them with --map {names[0] if names else '?'}"
                "=CONTACT_ID",
                unit,
            )
            return None
        if not _PLAYBOOK_ID.fullmatch(contact):
            findings.problem(
                where,
                f"{label} is contact {contact!r}, whose id a playbook cannot name "
                "(lower-case letters, digits and '-' only)",
                unit,
            )
            return None
        return contact
