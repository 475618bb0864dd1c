"""``tocsin ack|resolve`` and ``tocsin oncall``: the same services the API uses, from a shell."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from chalicelib.core.events import read_timestamp
from chalicelib.core.oncall.shifts import describe_shift
from tocsin_cli.calendars import add_calendar_command
from tocsin_cli.cli import Cli


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    ack = commands.add_parser(
        "ack", help="acknowledge an incident as a person it paged", parents=[common]
    )
    ack.add_argument("incident_id")
    ack.add_argument("--as", dest="contact_id", required=True, help="your contact id")
    ack.set_defaults(run=acknowledge)
    resolve = commands.add_parser(
        "resolve", help="resolve an incident; everyone reached is told", parents=[common]
    )
    resolve.add_argument("incident_id")
    resolve.add_argument("--as", dest="by", required=True, help="who resolves (contact id)")
    resolve.set_defaults(run=resolve_incident)
    oncall = commands.add_parser(
        "oncall", help="on-call coverage and overrides", parents=[common]
    ).add_subparsers(dest="action", required=True)
    show = oncall.add_parser(
        "show", help="who is on call, shift by shift; exit 1 on any gap", parents=[common]
    )
    show.add_argument("schedule")
    show.add_argument("--from", dest="start", help="ISO date-time (default: now)")
    show.add_argument("--to", dest="end", help="ISO date-time (default: a week later)")
    show.set_defaults(run=show_coverage)
    override = oncall.add_parser("override", help="someone covers for a while", parents=[common])
    override.add_argument("schedule")
    override.add_argument("--contact", required=True, help="who will be on call")
    override.add_argument("--from", dest="start", required=True)
    override.add_argument("--to", dest="end", required=True)
    override.add_argument("--covers", help="only while this person would be on call")
    override.add_argument("--by", default="cli", help="who entered it (for the record)")
    override.set_defaults(run=add_override)
    remove = oncall.add_parser("remove", help="remove an override", parents=[common])
    remove.add_argument("schedule")
    remove.add_argument("override_id")
    remove.set_defaults(run=remove_override)
    add_calendar_command(oncall, common)


def acknowledge(arguments: argparse.Namespace, cli: Cli) -> int:
    answer = cli.services.responses.acknowledge(arguments.incident_id, arguments.contact_id, "cli")
    cli.say(answer.message)
    return 0


def resolve_incident(arguments: argparse.Namespace, cli: Cli) -> int:
    answer = cli.services.responses.resolve(arguments.incident_id, arguments.by, "cli")
    cli.say(answer.message)
    return 0


def show_coverage(arguments: argparse.Namespace, cli: Cli) -> int:
    services = cli.services
    start = _instant(arguments.start, "--from") if arguments.start else None
    end = _instant(arguments.end, "--to") if arguments.end else None
    found = services.oncall.coverage(arguments.schedule, start, end)
    ids = {shift.contact_id for shift in found.shifts if shift.contact_id}
    who, source = found.now
    ids |= {who} if who else set()
    names = {
        cid: contact.name for cid, contact in services.directory.get_contacts(sorted(ids)).items()
    }

    def person(contact_id: str | None) -> str:
        if contact_id is None:
            return "NOBODY"
        return f"{names[contact_id]} ({contact_id})" if contact_id in names else contact_id

    zone = found.schedule.timezone
    cli.say(f"{found.schedule.schedule_id} ({zone}): now {person(who)} ({source})")
    for shift in found.shifts:
        line = describe_shift(shift, zone, person(shift.contact_id) if shift.contact_id else None)
        cli.say(("GAP  " if shift.is_gap else "     ") + line)
    for member in found.unknown_members:
        cli.say(f"warning: {member} is in the schedule but is not a contact")
    gaps = len(found.gaps)
    cli.say(f"{gaps} gap(s) in coverage" if gaps else "covered throughout")
    return 1 if gaps or found.unknown_members else 0


def add_override(arguments: argparse.Namespace, cli: Cli) -> int:
    made = cli.services.oncall.add_override(
        arguments.schedule,
        arguments.contact,
        _instant(arguments.start, "--from"),
        _instant(arguments.end, "--to"),
        arguments.covers,
        created_by=arguments.by,
    )
    cli.say(f"override {made.override_id}: {made.contact_id} on call")
    return 0


def remove_override(arguments: argparse.Namespace, cli: Cli) -> int:
    removed = cli.services.oncall.remove_override(arguments.schedule, arguments.override_id)
    cli.say(f"removed override {removed.override_id}")
    return 0


def _instant(text: str, option: str) -> datetime:
    return read_timestamp(text, option).astimezone(UTC)
