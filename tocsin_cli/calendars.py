"""``tocsin oncall calendar CONTACT [--revoke]``: a person's private on-call calendar link.

The link is ``<API>/v1/calendars/<token>``; calendar apps subscribe to it. Only the token's
digest is stored, so the link is shown once: asking again issues a new one and the old one stops
working (410). ``--revoke`` stops the person's link without issuing another.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from chalicelib.core.errors import InvalidInput
from tocsin_cli.cli import Cli


def add_calendar_command(
    oncall: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    calendar = oncall.add_parser(
        "calendar",
        help="print a person's private on-call calendar link (a new one each time)",
        parents=[common],
    )
    calendar.add_argument("contact", help="the contact id")
    calendar.add_argument(
        "--revoke", action="store_true", help="stop the person's link; issue no new one"
    )
    calendar.add_argument(
        "--days", type=int, default=365, help="how long the link works (default 365, at most 730)"
    )
    calendar.set_defaults(run=personal_calendar)


def personal_calendar(arguments: argparse.Namespace, cli: Cli) -> int:
    calendars = cli.services.calendars
    if arguments.revoke:
        calendars.revoke(arguments.contact)
        cli.say(f"{arguments.contact}'s calendar link revoked; it now answers 410")
        return 0
    api = cli.target.api
    if api is None:
        raise InvalidInput(
            "give --api URL (your Tocsin API's address, or TOCSIN_API): the link points there"
        )
    issued = calendars.issue(arguments.contact, timedelta(days=arguments.days))
    cli.say(f"{arguments.contact}'s on-call calendar (subscribe to it; keep it private):")
    cli.say(f"  {api}/v1/calendars/{issued.token}")
    cli.say(
        f"works until {issued.expires_at:%Y-%m-%d}; any earlier link for "
        f"{arguments.contact} stopped working"
    )
    return 0
