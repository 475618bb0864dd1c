"""Contacts from CSV, validated (``phonenumbers``, ``email-validator``); import and erasure.

CSV columns: ``contact_id,name,roles,language,phone,email`` and, optionally, ``teams``,
``timezone`` (IANA), ``push_tokens`` (``apns:<token>`` or ``fcm:<token>``), ``consent`` (the
channels the person agreed to: ``sms;email``; empty means every channel they gave an address
for) and ``opted_out`` (channels they switched off). Lists are separated by ';'. Reports name
the line and the reason, never the person's data.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.core.errors import InvalidRequest
from chalicelib.core.model import Contact
from chalicelib.core.people import contact_from_row
from chalicelib.storage.contacts import DynamoContactDirectory

COLUMNS = ("contact_id", "name", "roles", "language", "phone", "email")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    rejected: list[RejectedRow]


def read_contacts_csv(
    path: Path,
    known_roles: Iterable[str] | None = None,
    known_teams: Iterable[str] | None = None,
) -> tuple[list[Contact], list[RejectedRow]]:
    """Valid contacts (numbers in E.164, addresses normalised), and the refused rows."""
    roles_known = set(known_roles) if known_roles is not None else None
    teams_known = set(known_teams) if known_teams is not None else None
    contacts: list[Contact] = []
    rejected: list[RejectedRow] = []
    first_seen: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            return [], [RejectedRow(1, f"missing columns: {', '.join(sorted(missing))}")]
        for row in reader:
            line = reader.line_num
            try:
                result = contact_from_row(row, roles_known, teams_known)
            except InvalidRequest as invalid:
                reasons = "; ".join(f"{p.field}: {p.message}" for p in invalid.problems)
                rejected.append(RejectedRow(line, reasons))
                continue
            if result.contact_id in first_seen:
                rejected.append(
                    RejectedRow(line, f"contact_id repeats line {first_seen[result.contact_id]}")
                )
            else:
                first_seen[result.contact_id] = line
                contacts.append(result)
    return contacts, rejected


def import_contacts(
    contacts: list[Contact],
    directory: DynamoContactDirectory,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update each contact; one that is already as given is left alone."""
    existing = directory.get_contacts([contact.contact_id for contact in contacts])
    report = ImportReport([], [], [], [])
    for index, contact in enumerate(contacts, start=1):
        before = existing.get(contact.contact_id)
        if before == contact and contact.contact_id not in directory.outdated:
            report.unchanged.append(contact.contact_id)
        else:
            directory.put(contact)
            (report.updated if before else report.created).append(contact.contact_id)
        if progress is not None:
            progress(index, len(contacts))
    return report
