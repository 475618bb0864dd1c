"""``tocsin ack|decline|resolve`` and ``tocsin oncall``, from a shell.

An answer counts only when made with a credential bound to the person: with ``--key`` (or
``TOCSIN_KEY``), your personal key, it goes through the HTTP API (``--api``) and counts as yours.
Without a key it is made with your AWS credentials, through the same services the API uses:
recorded on the timeline with your AWS principal and the person you name (``--as``), never
counted toward a quorum. Exit 0: done (and counted); 1: recorded, not counted; 2: refused.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from urllib.parse import quote

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import InvalidInput
from chalicelib.core.events import read_timestamp
from chalicelib.core.oncall.shifts import describe_shift
from tocsin_cli.calendars import add_calendar_command
from tocsin_cli.cli import Cli
from tocsin_cli.http import KEY_VARIABLE, ApiRefused, ApiUnreachable, TocsinApi


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    counts = ": with your personal key it counts; without, it is only recorded"
    for verb, helping in (
        ("ack", "acknowledge an incident" + counts),
        ("decline", "say you can't respond (all paged at a level do: the next is paged)" + counts),
        ("resolve", "resolve an incident; everyone reached is told, and the timeline says who"),
    ):
        command = commands.add_parser(verb, help=helping, parents=[common])
        command.add_argument("incident_id")
        command.add_argument(
            "--key",
            help=f"your personal API key (better: env {KEY_VARIABLE}); the answer goes through "
            "--api and counts as yours. Without one it is made with your AWS credentials: "
            "recorded with your AWS principal, never counted",
        )
        command.add_argument(
            "--as",
            dest="contact_id",
            required=False,
            help="the person you answer for (contact id); needed without a personal key "
            "(but for resolve), and with one it can only be yourself",
        )
        command.set_defaults(run=answer, verb=verb)
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


_PATHS = {"ack": "acknowledge", "decline": "decline", "resolve": "resolve"}


def answer(arguments: argparse.Namespace, cli: Cli) -> int:
    """0: done and counted (or resolved); 1: recorded, but it does not count."""
    key = arguments.key or os.environ.get(KEY_VARIABLE)
    if key:
        return _answer_with_key(arguments, cli, key)
    verb, contact_id = arguments.verb, arguments.contact_id
    if contact_id is None and verb != "resolve":
        raise InvalidInput(
            f"say who answers: your personal key (--key, or env {KEY_VARIABLE}) makes the "
            "answer count; --as CONTACT_ID records it with your AWS credentials, without counting"
        )
    services = cli.services
    if contact_id is not None and not services.directory.get_contacts([contact_id]):
        raise InvalidInput(f"--as: no contact {contact_id!r}")
    answerer = Answerer.by_aws(services.aws_principal(), contact_id)
    responses = services.responses
    if verb == "ack":
        result = responses.acknowledge(arguments.incident_id, answerer)
    elif verb == "decline":
        result = responses.decline(arguments.incident_id, answerer)
    else:
        result = responses.resolve(arguments.incident_id, answerer)
    cli.say(result.message)
    if result.counted:
        return 0
    cli.say(
        f"To make it count: tocsin {verb} {arguments.incident_id} with your personal key "
        f"(--key, or env {KEY_VARIABLE}), or their link or reply code."
    )
    return 1


def _answer_with_key(arguments: argparse.Namespace, cli: Cli, key: str) -> int:
    if cli.target.api is None:
        raise InvalidInput(f"--api URL (env TOCSIN_API): where stage {cli.target.stage}'s API is")
    api = TocsinApi(cli.target.api, key, cli.transport)
    path = f"/v1/incidents/{quote(arguments.incident_id, safe='')}/{_PATHS[arguments.verb]}"
    named = {"for": arguments.contact_id} if arguments.contact_id else None
    try:
        result = api.post(path, named)
    except ApiRefused as refused:
        if refused.field == "for":  # the command's name for it
            raise InvalidInput(f"--as: {refused.message}") from None
        raise
    except ApiUnreachable as unreachable:
        raise ApiUnreachable(f"{unreachable}; {cli.target.unreachable_hint()}") from None
    cli.say(str(result.get("message", "")))
    return 0 if result.get("counted", True) else 1


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
