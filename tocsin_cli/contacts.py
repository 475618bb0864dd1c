"""Contacts from CSV, validated (``phonenumbers``, ``email-validator``); import and erasure.

CSV columns: ``contact_id,name,roles,language,phone,email`` (roles separated by ';'). Reports name
the line and the reason, never the person's data.
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from chalicelib.core.errors import NotFound
from chalicelib.core.model import Contact
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.erasure import DynamoIncidentScrubber

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # BCP 47, the common forms
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
    path: Path, known_roles: Iterable[str] | None = None
) -> tuple[list[Contact], list[RejectedRow]]:
    """Valid contacts (numbers in E.164, addresses normalised), and the refused rows."""
    roles_known = set(known_roles) if known_roles is not None else None
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
            result = _contact(row, roles_known)
            if isinstance(result, str):
                rejected.append(RejectedRow(line, result))
            elif result.contact_id in first_seen:
                rejected.append(
                    RejectedRow(line, f"contact_id repeats line {first_seen[result.contact_id]}")
                )
            else:
                first_seen[result.contact_id] = line
                contacts.append(result)
    return contacts, rejected


def _contact(row: Mapping[str, str | None], known_roles: set[str] | None) -> Contact | str:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    contact_id, name = cell("contact_id"), cell("name")
    roles = tuple(role.strip() for role in cell("roles").split(";") if role.strip())
    language = cell("language") or "en"
    if not _ID.fullmatch(contact_id):
        return "contact_id must be letters, digits, '-' or '_'"
    if not name:
        return "name is empty"
    if not roles:
        return "no roles"
    unknown = sorted(set(roles) - known_roles) if known_roles is not None else []
    if unknown:
        return f"unknown role {unknown[0]!r} (not in the playbook)"
    if not _LANGUAGE.fullmatch(language):
        return "language is not a BCP 47 tag such as 'en' or 'zh-Hant'"
    try:
        phone, email = _phone(cell("phone")), _email(cell("email"))
    except ValueError as invalid:
        return str(invalid)
    if not phone and not email:
        return "no phone and no email"
    return Contact(contact_id, name, roles, language, phone, email)


def _phone(raw: str) -> str | None:
    """E.164, or None when empty; ValueError when it is not a real international number."""
    if not raw:
        return None
    invalid = ValueError("phone is not a valid international number (+ and country code)")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _email(raw: str) -> str | None:
    """The normalised address, or None when empty; ValueError when it is not an address."""
    if not raw:
        return None
    try:
        return str(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValueError("email is not a valid address") from None


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
        if before == contact:
            report.unchanged.append(contact.contact_id)
        else:
            directory.put(contact)
            (report.updated if before else report.created).append(contact.contact_id)
        if progress is not None:
            progress(index, len(contacts))
    return report


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
