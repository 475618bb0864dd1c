"""Contacts from CSV, validated (``phonenumbers``, ``email-validator``); import and erasure.

CSV columns: ``contact_id,name,roles,language,phone,email`` and, optionally, ``teams``,
``timezone`` (IANA), ``push_tokens`` (``apns:<token>`` or ``fcm:<token>``), ``consent`` (the
channels the person agreed to: ``sms;email``; empty means every channel they gave an address
for), ``opted_out`` (channels they switched off), ``reports_to`` (their lead's contact id,
told when they do not answer a check-in) and ``labels`` (short slugs such as ``building-a`` or
``first-aider``, which a check-in's audience may name). Lists are separated by ';'. Reports name
the line and the reason, never the person's data.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from chalicelib.core.errors import InvalidRequest
from chalicelib.core.model import Contact
from chalicelib.core.people import contact_from_row
from chalicelib.storage.contacts import DynamoContactDirectory
from tocsin_cli.cli import Cli

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


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    contacts = commands.add_parser(
        "contacts", help="people (personal data)", parents=[common]
    ).add_subparsers(dest="action", required=True)
    load = contacts.add_parser(
        "import", help="create or update contacts from CSV (idempotent)", parents=[common]
    )
    load.add_argument("file", type=Path)
    load.set_defaults(run=import_command)
    erase = contacts.add_parser(
        "erase", help="remove a person and pseudonymise their records", parents=[common]
    )
    erase.add_argument("contact_id")
    erase.set_defaults(run=erase_command)


def import_command(arguments: argparse.Namespace, cli: Cli) -> int:
    services = cli.services
    playbook = services.playbook_store.load()
    contacts, rejected = read_contacts_csv(
        arguments.file, known_roles=playbook.roles, known_teams=playbook.teams
    )
    report = import_contacts(contacts, services.directory, progress=progress_line(cli.err))
    cli.say(
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, rejected {len(rejected)}"
    )
    for row in rejected:
        cli.say(f"  line {row.line}: {row.reason}")
    return 1 if rejected else 0


def erase_command(arguments: argparse.Namespace, cli: Cli) -> int:
    pseudonym, records = cli.services.erase_contact(arguments.contact_id)
    cli.say(
        f"contact {arguments.contact_id!r} erased; {records} incident records now say {pseudonym!r}"
    )
    return 0


def progress_line(stream: TextIO) -> Callable[[int, int], None]:
    """Progress for long imports: a bar that redraws on a terminal, a line every 10 % when the
    output is redirected (a log file or CI still shows that it is moving)."""
    live = stream.isatty()
    shown = {0}

    def show(done: int, total: int) -> None:
        if total < 200:
            return
        if live:
            if done % 100 == 0 or done == total:
                filled = 30 * done // total
                end = "\n" if done == total else ""
                print(
                    f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}",
                    end=end,
                    file=stream,
                    flush=True,
                )
            return
        tenth = 10 * done // total
        if tenth not in shown:
            shown.add(tenth)
            print(f"saved {done} of {total} contacts", file=stream, flush=True)

    return show
