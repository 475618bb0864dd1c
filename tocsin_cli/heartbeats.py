"""``tocsin heartbeats list``: every heartbeat the playbook declares, its last ping, and whether
it is late or missed (exit 1 when one is missed)."""

from __future__ import annotations

import argparse
from datetime import datetime

from chalicelib.core.fields import describe_duration
from tocsin_cli.cli import Cli


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    heartbeats = commands.add_parser(
        "heartbeats", help="the tools that should keep pinging Tocsin", parents=[common]
    ).add_subparsers(dest="action", required=True)
    heartbeats.add_parser(
        "list",
        help="each heartbeat's last ping and state; exit 1 when one is missed",
        parents=[common],
    ).set_defaults(run=list_heartbeats)


def list_heartbeats(arguments: argparse.Namespace, cli: Cli) -> int:
    statuses = cli.services.heartbeats.statuses()
    if not statuses:
        cli.say("no heartbeats are declared in the playbook (heartbeats: in policies/)")
        return 0
    cli.say(f"{'HEARTBEAT':<24} {'EVERY':<6} {'GRACE':<6} {'LAST PING':<24} {'BY':<20} STATE")
    for status in statuses:
        heartbeat, state = status.heartbeat, status.state
        last = _when(state.last_ping_at) if state and state.last_ping_at else "never"
        by = (state.last_key if state else None) or "-"
        was = "was due" if status.condition == "missed" else "due"
        due = f" ({was} by {_when(status.due_by)})" if status.due_by else ""
        cli.say(
            f"{heartbeat.heartbeat_id:<24} {describe_duration(heartbeat.every):<6} "
            f"{describe_duration(heartbeat.grace):<6} {last:<24} {by:<20} "
            f"{status.condition}{due}"
        )
    return 1 if any(status.condition == "missed" for status in statuses) else 0


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
