"""Contacts from CSV, validated (``phonenumbers``, ``email-validator``); import, erasure and the
record of who touched each contact.

CSV columns: ``contact_id,name,roles,language,phone,email`` and, optionally, ``teams``,
``timezone`` (IANA), ``push_tokens`` (``apns:<token>`` or ``fcm:<token>``), ``consent`` (the
channels the person agreed to: ``sms;email``; empty means every channel they gave an address
for), ``opted_out`` (channels they switched off), ``reports_to`` (their lead's contact id,
told when they do not answer a check-in) and ``labels`` (short slugs such as ``building-a`` or
``first-aider``, which a check-in's audience may name) and ``working_hours`` (on their own
clock: ``weekdays 09:00-17:00``, ``mon,wed 08:00-12:00``; analytics counts the pages they get
outside them). Lists are separated by ';'. Reports name
the line and the reason, never the person's data.

Every save, erasure and read is on record with the AWS principal that ran the command
(``tocsin contacts audit ID`` shows them).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from chalicelib.core.errors import Conflict, InvalidRequest
from chalicelib.core.model import Contact
from chalicelib.core.people import contact_from_row
from chalicelib.core.privacy.audit import AccessAction, Actor
from chalicelib.core.privacy.contact_access import ContactAccess
from chalicelib.core.privacy.jobs import ErasureJob
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
    refused: list[str] = field(default_factory=list)  # being erased: saving them must wait


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
    access: ContactAccess,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update each contact, each save on record; one that is already as given is
    left alone; one whose erasure is running is refused."""
    report = ImportReport([], [], [], [])
    outcomes = {
        AccessAction.CREATED: report.created,
        AccessAction.UPDATED: report.updated,
        AccessAction.UNCHANGED: report.unchanged,
    }
    for index, contact in enumerate(contacts, start=1):
        try:
            outcomes[access.save(contact, actor)].append(contact.contact_id)
        except Conflict:
            report.refused.append(contact.contact_id)
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
        "erase",
        help="remove a person at once, then pseudonymise every record of them (a job); "
        "waits for it with progress",
        parents=[common],
    )
    erase.add_argument("contact_id")
    erase.add_argument(
        "--no-wait", action="store_true", help="start the job and return (exit 0) at once"
    )
    erase.add_argument(
        "--here",
        action="store_true",
        help="run the job in this command instead of waiting for the erasure worker "
        "(when the worker is down or its queue is stuck)",
    )
    erase.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop waiting after this long (exit 1; the job goes on; run the command again "
        "to follow it)",
    )
    erase.set_defaults(run=erase_command)
    audit = contacts.add_parser(
        "audit", help="who read, saved or erased a contact, and when", parents=[common]
    )
    audit.add_argument("contact_id")
    audit.set_defaults(run=audit_command)


def import_command(arguments: argparse.Namespace, cli: Cli) -> int:
    services = cli.services
    playbook = services.playbook_store.load()
    contacts, rejected = read_contacts_csv(
        arguments.file, known_roles=playbook.roles, known_teams=playbook.teams
    )
    actor = Actor(services.aws_principal(), "import")
    report = import_contacts(
        contacts, services.contact_access, actor, progress=progress_line(cli.err)
    )
    cli.say(
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, rejected {len(rejected) + len(report.refused)}"
    )
    for row in rejected:
        cli.say(f"  line {row.line}: {row.reason}")
    for contact_id in report.refused:
        cli.say(f"  {contact_id}: being erased; import it again once the erasure is done")
    return 1 if rejected or report.refused else 0


POLL_SECONDS = 0.5


def erase_command(arguments: argparse.Namespace, cli: Cli) -> int:
    services = cli.services
    started = services.erasure.start(arguments.contact_id, Actor(services.aws_principal(), "cli"))
    job = started.job
    what = "started" if started.begun else "already running"
    cli.say(f"erasure {job.job_id} of {arguments.contact_id} {what}; they can no longer be paged")
    if arguments.no_wait:
        cli.say(f"follow it with: tocsin contacts erase {arguments.contact_id}")
        return 0
    show = erasure_progress(cli.err)
    deadline = time.monotonic() + arguments.timeout
    while not job.is_done:
        if time.monotonic() >= deadline:
            cli.say(
                f"erasure {job.job_id} is still running ({job.scanned} records read); run "
                f"`tocsin contacts erase {arguments.contact_id}` to follow it, or add --here "
                "if the erasure worker is not running"
            )
            return 1
        if arguments.here:
            job = services.erasure.advance(job.job_id, services.clock.now() + timedelta(seconds=5))
        else:
            time.sleep(POLL_SECONDS)
            job = services.erasure.status(job.job_id)
        show(job)
    kinds = ", ".join(f"{kind} {count}" for kind, count in job.changed.items() if count)
    cli.say(
        f"erased: {job.records_changed} records changed ({kinds or 'none mentioned them'}) "
        f"of {job.scanned} read; they now say {job.pseudonym!r}"
    )
    return 0


def audit_command(arguments: argparse.Namespace, cli: Cli) -> int:
    services = cli.services
    records = services.contact_access.history(arguments.contact_id)
    if not records:
        keep = services.playbooks.load().retention.audit.days
        cli.say(f"no access to {arguments.contact_id} on record (records are kept {keep} days)")
        return 0
    for record in records:
        cli.say(
            f"{record.at.isoformat(timespec='seconds')}  {record.action.value:<18} "
            f"{record.by} ({record.via})"
        )
    return 0


def erasure_progress(stream: TextIO) -> Callable[[ErasureJob], None]:
    """Progress of an erasure: a line that redraws on a terminal, a line whenever the counts
    moved (at most every two seconds) when the output is redirected."""
    live = stream.isatty()
    shown: dict[str, float] = {"at": 0.0, "scanned": -1.0}

    def show(job: ErasureJob) -> None:
        line = f"{job.scanned} records read, {job.records_changed} changed"
        if live:
            print(f"\r{line}", end="\n" if job.is_done else "", file=stream, flush=True)
            return
        now = time.monotonic()
        if job.scanned != shown["scanned"] and (job.is_done or now - shown["at"] >= 2):
            shown.update(at=now, scanned=float(job.scanned))
            print(line, file=stream, flush=True)

    return show


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
