"""``tocsin import opsgenie|pagerduty|ical FILE...``: bring schedules and escalation policies over.

Writes ``imported-<vendor>.yaml`` into ``--out`` (default ``policies``), validated together with
the files already there, or writes nothing and lists every problem with its file and JSON path.
Users become contacts by email: from ``--contacts FILE.csv`` (the ``tocsin contacts import``
format; offline) or else from the contact directory of the stack the command points at;
``--map USER=CONTACT_ID`` settles the rest. See docs/MIGRATING.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.core.errors import InvalidInput
from chalicelib.core.events import read_timestamp
from chalicelib.core.model import Channel, Contact
from chalicelib.core.privacy.audit import Actor
from chalicelib.core.privacy.contact_access import ContactAccess
from tocsin_cli.cli import Cli
from tocsin_cli.contacts import read_contacts_csv
from tocsin_cli.importers import ical, opsgenie, pagerduty
from tocsin_cli.importers.drafts import Imported
from tocsin_cli.importers.names import slug
from tocsin_cli.importers.output import Options, Outcome, assemble, write
from tocsin_cli.importers.people import People

VENDORS = ("opsgenie", "pagerduty", "ical")
DEFAULT_CHAIN = "sms,voice,email"


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    command = commands.add_parser(
        "import",
        help="schedules and escalation policies from Opsgenie, PagerDuty or iCalendar files",
        description=(__doc__ or "").split("\n\n", 1)[1],
        parents=[common],
    )
    command.add_argument("vendor", choices=VENDORS)
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    command.add_argument(
        "--contacts",
        type=Path,
        metavar="FILE.csv",
        help="match users by email against this contacts CSV (offline) instead of the "
        "contact directory",
    )
    command.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="USER=CONTACT_ID",
        help="this user (vendor id, username or email) is this contact; repeat as needed",
    )
    command.add_argument(
        "--out", type=Path, default=Path("policies"), help="the policy directory to write into"
    )
    command.add_argument("--prefix", default="", help="put this before every id made (e.g. pd-)")
    command.add_argument(
        "--chain",
        default=DEFAULT_CHAIN,
        help=f"the channels each escalation level tries, in order (default {DEFAULT_CHAIN})",
    )
    command.add_argument(
        "--as-of",
        dest="as_of",
        metavar="ISO",
        help="what counts as past (ended layers, overrides) and where checks begin (default now)",
    )
    command.add_argument(
        "--partial",
        action="store_true",
        help="write what can be imported, whole schedule by whole schedule, say in the file "
        "what was left out, and exit 1",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="print the file instead of writing it"
    )
    calendars = command.add_argument_group("iCalendar files")
    calendars.add_argument("--schedule", help="the schedule id (default: from the calendar name)")
    calendars.add_argument(
        "--timezone", help="IANA time zone for hand-offs (default: the calendar's own)"
    )
    calendars.add_argument(
        "--days", type=int, default=ical.DEFAULT_DAYS, help="how far ahead to read (default 90)"
    )
    command.set_defaults(run=run_import)


def run_import(arguments: argparse.Namespace, cli: Cli) -> int:
    as_of = (
        read_timestamp(arguments.as_of, "--as-of").astimezone(UTC)
        if arguments.as_of
        else datetime.now(UTC)
    )
    prefix = _prefix(arguments.prefix)
    chain = _chain(arguments.chain)
    for path in arguments.files:
        if not path.is_file():
            raise InvalidInput(f"no such file: {path}")
    people = People(*_contacts(arguments, cli), source=_source(arguments, cli))
    imported = _read(arguments, people, as_of, chain, prefix)
    outcome = assemble(
        imported, Options(arguments.out, as_of, arguments.partial, arguments.dry_run)
    )
    return _report(imported, outcome, arguments, cli)


def _read(
    arguments: argparse.Namespace,
    people: People,
    as_of: datetime,
    chain: Sequence[str],
    prefix: str,
) -> Imported:
    files = list(arguments.files)
    if arguments.vendor == "pagerduty":
        return pagerduty.read(files, people, as_of, chain, prefix)
    if arguments.vendor == "opsgenie":
        return opsgenie.read(files, people, as_of, chain, prefix, _known_teams(arguments.out))
    if not 7 <= arguments.days <= 366:
        raise InvalidInput("--days must be 7 to 366")
    if arguments.schedule and len(files) > 1:
        raise InvalidInput("--schedule names one schedule: give one calendar file with it")
    return ical.read(
        files,
        people,
        as_of,
        prefix,
        ical.CalendarOptions(arguments.schedule, arguments.timezone, arguments.days),
    )


def _report(imported: Imported, outcome: Outcome, arguments: argparse.Namespace, cli: Cli) -> int:
    err = cli.err
    for note in imported.findings.notes:
        print(f"note: {note}", file=err)
    for problem in outcome.problems:
        print(problem, file=err)
    if outcome.text is None:
        print(
            f"tocsin: {len(outcome.problems)} problem(s); nothing written "
            f"({outcome.path} unchanged)",
            file=err,
        )
        return 1
    if arguments.dry_run:
        cli.say(outcome.text.rstrip("\n"))
    else:
        write(outcome)
    cli.say(f"{'would import' if arguments.dry_run else 'imported'} from {imported.vendor}:")
    for schedule in outcome.kept_schedules:
        layers = len(schedule.document["layers"])
        overrides = len(schedule.document.get("overrides", []))
        check = outcome.checked.get(
            schedule.schedule_id, "not checked: the export holds no rendering of who is on call"
        )
        cli.say(
            f"  schedule {schedule.schedule_id} ({schedule.title}): {layers} layer(s), "
            f"{overrides} override(s); {check}"
        )
    for policy in outcome.kept_escalations:
        levels = len(policy.document["levels"])
        repeat = policy.document.get("repeat", 0)
        cli.say(
            f"  escalation policy {policy.policy_id} ({policy.title}): {levels} level(s)"
            + (f", repeated {repeat} time(s)" if repeat else "")
        )
    if not arguments.dry_run:
        cli.say(
            f"wrote {outcome.path}; next: tocsin policies validate {arguments.out} && "
            f"tocsin policies apply {arguments.out}"
        )
    if outcome.problems:
        print(
            f"tocsin: PARTIAL import: {len(outcome.problems)} problem(s) above; what they "
            "concern was left out",
            file=err,
        )
        return 1
    return 0


def _contacts(arguments: argparse.Namespace, cli: Cli) -> tuple[list[Contact], dict[str, str]]:
    mapping: dict[str, str] = {}
    for entry in arguments.map:
        user, separator, contact = entry.partition("=")
        if not separator or not user.strip() or not contact.strip():
            raise InvalidInput(f"--map {entry!r}: give USER=CONTACT_ID")
        mapping[user.strip()] = contact.strip()
    if arguments.contacts is None:  # the directory: every person read, each on record
        services = cli.services
        actor = Actor(services.aws_principal(), "import")
        # The playbook as stored, as the other commands read it: the container's cached copy
        # would outlive a `tocsin policies apply` made later with the same container.
        access = ContactAccess(
            services.directory, services.access_log, services.playbook_store, services.clock
        )
        return access.everyone(actor), mapping
    if not arguments.contacts.is_file():
        raise InvalidInput(f"no such file: {arguments.contacts}")
    contacts, rejected = read_contacts_csv(arguments.contacts)
    for row in rejected:
        print(
            f"note: {arguments.contacts.name}:{row.line}: row not used ({row.reason})",
            file=cli.err,
        )
    return contacts, mapping


def _source(arguments: argparse.Namespace, cli: Cli) -> str:
    if arguments.contacts is not None:
        return str(arguments.contacts)
    return f"the contact directory of stage {cli.target.stage}"


def _known_teams(out: Path) -> set[str]:
    """The teams the policy directory declares, which Opsgenie team recipients may become."""
    from tocsin_cli.policies import PolicyErrors, read_policy_dir

    if not out.is_dir():
        return set()
    try:
        sections = read_policy_dir(out).sections
    except PolicyErrors:
        return set()
    return {str(team.get("id")) for team in sections["teams"] if isinstance(team, dict)}


def _prefix(text: str) -> str:
    if text and slug(text) + ("-" if text.endswith("-") else "") != text:
        raise InvalidInput(f"--prefix {text!r}: use lower-case letters, digits and '-'")
    return text


def _chain(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    reachable = [c.value for c in Channel if c is not Channel.BROADCAST]
    wrong = [name for name in names if name not in reachable]
    if not names or wrong or len(set(names)) != len(names):
        raise InvalidInput(f"--chain {text!r}: name each channel once, from {', '.join(reachable)}")
    return names
