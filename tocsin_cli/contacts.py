"""Read contacts from CSV: ``contact_id,name,roles,language,phone,email`` (roles split by ';')."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from chalicelib.core.model import Contact

_E164 = re.compile(r"\+[1-9]\d{7,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
COLUMNS = ("contact_id", "name", "roles", "language", "phone", "email")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


def read_contacts_csv(path: Path) -> tuple[list[Contact], list[RejectedRow]]:
    """Valid contacts, and the rows refused with their line and reason (never their data)."""
    contacts: list[Contact] = []
    rejected: list[RejectedRow] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            return [], [RejectedRow(1, f"missing columns: {', '.join(sorted(missing))}")]
        for row in reader:
            line = reader.line_num
            contact_id = (row["contact_id"] or "").strip()
            phone = (row["phone"] or "").strip() or None
            email = (row["email"] or "").strip() or None
            roles = tuple(role.strip() for role in (row["roles"] or "").split(";") if role.strip())
            problem = (
                "contact_id is not an id"
                if not _ID.fullmatch(contact_id)
                else "phone is not in E.164 form (+ and country code)"
                if phone and not _E164.fullmatch(phone)
                else "email is not an address"
                if email and not _EMAIL.fullmatch(email)
                else "no phone and no email"
                if not phone and not email
                else "no roles"
                if not roles
                else None
            )
            if problem:
                rejected.append(RejectedRow(line, problem))
                continue
            contacts.append(
                Contact(
                    contact_id=contact_id,
                    name=(row["name"] or "").strip(),
                    roles=roles,
                    language=(row["language"] or "en").strip(),
                    phone=phone,
                    email=email,
                )
            )
    return contacts, rejected
