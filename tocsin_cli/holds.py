"""``tocsin holds list|release|cancel``: messages held past the budget, and the decision on them.

    tocsin holds list [--state held|released|cancelled|all]
    tocsin holds release HOLD_ID [HOLD_ID ...] --as CONTACT_ID     (or --all-held)
    tocsin holds cancel HOLD_ID [HOLD_ID ...] --as CONTACT_ID      (or --all-held)

The same services the API uses: only a person holding the playbook's release role may decide,
each hold once. With several holds, each is reported and the exit code is 1 if any was refused.
"""

from __future__ import annotations

import argparse

from chalicelib.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.core.spend.ports import Hold, HoldState
from tocsin_cli.cli import Cli

STATES = {"held": HoldState.HELD, "released": HoldState.RELEASED, "cancelled": HoldState.CANCELLED}


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    holds = commands.add_parser(
        "holds", help="messages held past the budget: list, release, cancel", parents=[common]
    ).add_subparsers(dest="action", required=True)
    listing = holds.add_parser(
        "list", help="holds, newest first (held ones by default)", parents=[common]
    )
    listing.add_argument("--state", choices=[*STATES, "all"], default="held")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=list_holds)
    for action, help_text, run in (
        ("release", "send what a hold holds, once", release),
        ("cancel", "never send what a hold holds", cancel),
    ):
        command = holds.add_parser(action, help=help_text, parents=[common])
        command.add_argument("hold_ids", nargs="*", metavar="HOLD_ID")
        command.add_argument(
            "--all-held", action="store_true", help="every hold still waiting for a decision"
        )
        command.add_argument(
            "--as", dest="contact_id", required=True, help="you: a contact holding the release role"
        )
        command.set_defaults(run=run)


def list_holds(arguments: argparse.Namespace, cli: Cli) -> int:
    if arguments.limit < 1:
        raise InvalidInput("--limit must be at least 1")
    state = None if arguments.state == "all" else STATES[arguments.state]
    found = cli.services.hold_desk.recent(state, arguments.limit)
    if not found:
        cli.say("no holds" if state is None else f"no {state.value} holds")
        return 0
    cli.say(
        f"{'HOLD':<31} {'STATE':<9} {'MESSAGES':<24} {'EST. USD':>9}  {'SINCE (UTC)':<16}  INCIDENT"
    )
    for hold in found:
        incident = cli.services.incidents.get(hold.incident_id)
        title = f" ({incident.title[:40]})" if incident else ""
        cli.say(
            f"{hold.hold_id:<31} {hold.state.value:<9} {hold.describe():<24} "
            f"{hold.estimated_usd:>9.4f}  {hold.created_at:%Y-%m-%d %H:%M}  "
            f"{hold.incident_id}{title}"
        )
    total, usd = sum(hold.count for hold in found), sum(hold.estimated_usd for hold in found)
    cli.say(f"{len(found)} hold(s), {total} message(s), about ${usd:.4f}")
    return 0


def release(arguments: argparse.Namespace, cli: Cli) -> int:
    return _decide(arguments, cli, released=True)


def cancel(arguments: argparse.Namespace, cli: Cli) -> int:
    return _decide(arguments, cli, released=False)


def _decide(arguments: argparse.Namespace, cli: Cli, released: bool) -> int:
    desk = cli.services.hold_desk
    ids = list(arguments.hold_ids)
    if arguments.all_held:
        if ids:
            raise InvalidInput("give hold ids or --all-held, not both")
        ids = [hold.hold_id for hold in desk.recent(HoldState.HELD, limit=10_000)]
        if not ids:
            cli.say("no holds are waiting for a decision")
            return 0
    if not ids:
        raise InvalidInput("name the holds to decide on (tocsin holds list), or --all-held")
    decide = desk.release if released else desk.cancel
    if len(ids) == 1 and not arguments.all_held:
        cli.say(_done(decide(ids[0], arguments.contact_id, "cli"), released))
        return 0
    refused = 0
    for hold_id in ids:
        try:
            cli.say(_done(decide(hold_id, arguments.contact_id, "cli"), released))
        except (Conflict, NotFound, Forbidden) as error:
            refused += 1
            cli.say(f"{hold_id}: refused: {error}")
    return 1 if refused else 0


def _done(hold: Hold, released: bool) -> str:
    if released:
        return (
            f"{hold.hold_id}: released: {hold.describe()} queued to be sent once "
            f"(about ${hold.estimated_usd:.4f})"
        )
    return f"{hold.hold_id}: cancelled: {hold.describe()} will not be sent"
