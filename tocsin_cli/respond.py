"""``tocsin ack|resolve`` and ``tocsin oncall``: the same services the API uses, from a shell."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import TextIO

from chalicelib.core.events import read_timestamp
from chalicelib.core.oncall.shifts import describe_shift
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from tocsin_cli.stage import LOCAL_ENDPOINT, session_for, table


def services_for(stage: str, profile: str | None) -> Container:
    """The composition root for ``stage``: the local stack, or the tables infra/ deploys."""
    session = session_for(stage, profile)
    if stage == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", LOCAL_ENDPOINT)
        return Container(Settings.from_environment({"TOCSIN_STAGE": "local"}), session)
    environment = {
        "TOCSIN_STAGE": stage,
        "TOCSIN_CONFIG_TABLE": table(stage, "config"),
        "TOCSIN_CONTACTS_TABLE": table(stage, "contacts"),
        "TOCSIN_INCIDENTS_TABLE": table(stage, "incidents"),
        "TOCSIN_DISPATCH_QUEUE": table(stage, "dispatch"),
        "TOCSIN_INGEST_QUEUE": table(stage, "ingest"),
    }
    return Container(Settings.from_environment(environment), session)


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ack = commands.add_parser("ack", help="acknowledge an incident as a person it paged")
    ack.add_argument("incident_id")
    ack.add_argument("--as", dest="contact_id", required=True, help="your contact id")
    resolve = commands.add_parser("resolve", help="resolve an incident; everyone reached is told")
    resolve.add_argument("incident_id")
    resolve.add_argument("--as", dest="by", required=True, help="who resolves (contact id)")
    oncall = commands.add_parser("oncall", help="on-call coverage and overrides").add_subparsers(
        dest="action", required=True
    )
    show = oncall.add_parser("show", help="who is on call, shift by shift; exit 1 on any gap")
    show.add_argument("schedule")
    show.add_argument("--from", dest="start", help="ISO date-time (default: now)")
    show.add_argument("--to", dest="end", help="ISO date-time (default: a week later)")
    override = oncall.add_parser("override", help="someone covers for a while")
    override.add_argument("schedule")
    override.add_argument("--contact", required=True, help="who will be on call")
    override.add_argument("--from", dest="start", required=True)
    override.add_argument("--to", dest="end", required=True)
    override.add_argument("--covers", help="only while this person would be on call")
    override.add_argument("--by", default="cli", help="who entered it (for the record)")
    remove = oncall.add_parser("remove", help="remove an override")
    remove.add_argument("schedule")
    remove.add_argument("override_id")


def run(arguments: argparse.Namespace, services: Container, out: TextIO) -> int:
    if arguments.command == "ack":
        answer = services.responses.acknowledge(arguments.incident_id, arguments.contact_id, "cli")
        print(answer.message, file=out)
        return 0
    if arguments.command == "resolve":
        answer = services.responses.resolve(arguments.incident_id, arguments.by, "cli")
        print(answer.message, file=out)
        return 0
    oncall = services.oncall
    if arguments.action == "show":
        start = _instant(arguments.start, "--from") if arguments.start else None
        end = _instant(arguments.end, "--to") if arguments.end else None
        found = oncall.coverage(arguments.schedule, start, end)
        zone = found.schedule.timezone
        who, source = found.now
        print(f"{found.schedule.schedule_id} ({zone}): now {who or 'NOBODY'} ({source})", file=out)
        for shift in found.shifts:
            print(("GAP  " if shift.is_gap else "     ") + describe_shift(shift, zone), file=out)
        for member in found.unknown_members:
            print(f"warning: {member} is in the schedule but is not a contact", file=out)
        gaps = len(found.gaps)
        print(f"{gaps} gap(s) in coverage" if gaps else "covered throughout", file=out)
        return 1 if gaps or found.unknown_members else 0
    if arguments.action == "override":
        made = oncall.add_override(
            arguments.schedule,
            arguments.contact,
            _instant(arguments.start, "--from"),
            _instant(arguments.end, "--to"),
            arguments.covers,
            created_by=arguments.by,
        )
        print(f"override {made.override_id}: {made.contact_id} on call", file=out)
        return 0
    removed = oncall.remove_override(arguments.schedule, arguments.override_id)
    print(f"removed override {removed.override_id}", file=out)
    return 0


def _instant(text: str, option: str) -> datetime:
    return read_timestamp(text, option).astimezone(UTC)
