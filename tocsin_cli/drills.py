"""``tocsin drill run|list``: drills through the HTTP API (``--api``), with a personal key
(``--key`` or ``TOCSIN_KEY``; ``run`` needs the activate scope, ``list`` the read scope).

    tocsin drill run PLAN --kind tabletop|simulation|full-scale|surprise
                     --roster c-ada,role:crisis-core[,team:site-oslo] [--roster ...]
                     [--target [ROLE:]90%:15m ...]
                     [--window "mon-fri 02:00-05:00" --within 30d | --until 2026-12-31T00:00Z]
                     [--timezone Europe/Copenhagen]
    tocsin drill list [--csv]

A tabletop prints its plan (who, channel, language, SMS parts, price, text) and its gaps; a
surprise prints its window, never its moment. ``list`` shows each drill's raw counts and its
targets' results (pass, fail, pending: ``GET /v1/drills`` says which); ``--csv`` gains the
``verdict`` and ``target_results`` columns.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.core.playbook.drill_request import DAY_NAMES
from tocsin_cli.cli import Cli
from tocsin_cli.http import KEY_VARIABLE, ApiRefused, TocsinApi

_DAYS = list(DAY_NAMES)


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    drill = commands.add_parser(
        "drill", help="drills of a plan, bounded by a roster; the register", parents=[common]
    ).add_subparsers(dest="action", required=True)
    run = drill.add_parser("run", help="start a drill", parents=[common])
    run.add_argument("plan")
    run.add_argument(
        "--kind", required=True, choices=["tabletop", "simulation", "full-scale", "surprise"]
    )
    run.add_argument(
        "--roster", action="append", default=[], help="contact ids, role:ID, team:ID (commas)"
    )
    run.add_argument("--target", action="append", default=[], help="[ROLE:]90%%:15m")
    run.add_argument("--window", help='a surprise\'s days and hours: "mon-fri 02:00-05:00"')
    run.add_argument("--within", help="a surprise's window ends this long from now (30d)")
    run.add_argument("--until", help="... or at this date-time")
    run.add_argument("--timezone", help="the window's time zone (default UTC)")
    run.set_defaults(run=run_drill)
    listing = drill.add_parser("list", help="the register, newest first", parents=[common])
    listing.add_argument("--csv", action="store_true", help="every drill, as CSV for auditors")
    listing.set_defaults(run=list_drills)
    for command in (run, listing):
        command.add_argument("--key", help=f"your personal API key (better: env {KEY_VARIABLE})")


def _api(arguments: argparse.Namespace, cli: Cli) -> TocsinApi:
    key = arguments.key or os.environ.get(KEY_VARIABLE)
    if not key:
        raise InvalidInput(f"--key (or env {KEY_VARIABLE}): your personal API key")
    if cli.target.api is None:
        raise InvalidInput(f"--api URL (env TOCSIN_API): where stage {cli.target.stage}'s API is")
    return TocsinApi(cli.target.api, key, cli.transport)


def drill_request(arguments: argparse.Namespace) -> dict[str, Any]:
    """The ``POST /v1/drills`` body the options describe (the API checks it)."""
    roster = [part.strip() for given in arguments.roster for part in given.split(",")]
    document: dict[str, Any] = {
        "plan": arguments.plan,
        "kind": arguments.kind,
        "roster": [entry for entry in roster if entry],
    }
    if arguments.target:
        document["targets"] = [_target(text) for text in arguments.target]
    if arguments.window:
        document["window"] = _window(arguments)
    return document


def _target(text: str) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(f"--target {text!r}: give [ROLE:]SHARE:WITHIN, such as 90%:15m")
    target: dict[str, Any] = {"acknowledged": parts[-2], "within": parts[-1]}
    if len(parts) == 3:
        target["role"] = parts[0]
    return target


def _window(arguments: argparse.Namespace) -> dict[str, Any]:
    days_text, _, hours = str(arguments.window).strip().rpartition(" ")
    start, _, end = hours.partition("-")
    if not start or not end:
        raise InvalidInput(f'--window {arguments.window!r}: give "mon-fri 02:00-05:00"')
    window: dict[str, Any] = {"from": start, "to": end, "weekdays": _days(days_text or "daily")}
    for name in ("within", "until", "timezone"):
        if getattr(arguments, name):
            window[name] = getattr(arguments, name)
    return window


def _days(text: str) -> list[str]:
    if text == "daily":
        return _DAYS
    days: list[str] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise InvalidInput(f"--window days {text!r}: such as mon-fri, sat,sun or daily")
        if last:
            at, stop = DAY_NAMES[first], DAY_NAMES[last]
            while True:
                days.append(_DAYS[at])
                if at == stop:
                    break
                at = (at + 1) % 7
        else:
            days.append(first)
    return list(dict.fromkeys(days))


def run_drill(arguments: argparse.Namespace, cli: Cli) -> int:
    try:
        drill = _api(arguments, cli).post("/v1/drills", drill_request(arguments))
    except ApiRefused as refused:
        cli.say(f"refused: {refused}")
        return 2
    cli.say(register_line(drill))
    plan = drill.get("plan_worked_out")
    if plan is not None:
        cli.say(describe_plan(plan))
        return 1 if plan["gaps"] else 0
    if drill["state"] == "scheduled":
        cli.say(f"surprise: fires unannounced inside {drill['window']}")
    return 0


def describe_plan(plan: dict[str, Any]) -> str:
    lines = [plan["summary"]]
    for message in plan["messages"]:
        parts = f"{message['sms_parts']} parts, " if message["channel"] == "sms" else ""
        first_line = message["text"].splitlines()[0] if message["text"] else ""
        lines.append(
            f"  step {message['step']} {message['contact_id']:<12} {message['channel']:<6} "
            f"{message['language']:<8} {parts}{message['usd']:.4f} USD  {first_line[:70]}"
        )
    lines += [f"  gap: {gap}" for gap in plan["gaps"]]
    return "\n".join(lines)


def register_line(drill: dict[str, Any]) -> str:
    """One drill as the register reads: when, kind, plan, state, roster, the raw counts, and
    each target's result (pass, fail, or pending while the drill runs)."""
    counts = drill.get("counts")
    figures = (
        f"reached {counts['reached']}, delivered {counts['delivered']}, acknowledged "
        f"{counts['acknowledged']}, declined {counts['declined']}, silent {counts['silent']}, "
        f"median ack {_seconds(counts['median_ack_seconds'])}"
        if counts
        else drill.get("note") or ""
    )
    line = (
        f"{drill['drill_id']} {drill['created_at'][:16]} {drill['kind']:<10} {drill['plan']:<20} "
        f"{drill['state']:<9} roster {drill['roster_size']}: {figures}"
    )
    results = drill.get("results") or []
    if not results:
        return line
    return f"{line}; targets {drill['verdict']}: " + "; ".join(
        target_text(result) for result in results
    )


def target_text(result: dict[str, Any]) -> str:
    """``executive 50%/900s pass (1 of 1 in time, 100%; 50% after 12s)``."""
    share = result["achieved_share"]
    return (
        f"{result['role'] or 'roster'} {result['share']:.0%}/{result['within_seconds']}s "
        f"{result['verdict']} ({result['in_time']} of {result['asked']} in time, "
        f"{'-' if share is None else f'{share:.0%}'}; {result['share']:.0%} after "
        f"{_seconds(result['reached_after_seconds'])})"
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def list_drills(arguments: argparse.Namespace, cli: Cli) -> int:
    api = _api(arguments, cli)
    cursor: str | None = None
    header_said = False
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        if arguments.csv:
            status, raw = api.get_raw(f"/v1/drills?format=csv&limit=200{suffix}")
            if status >= 400:
                api.get("/v1/drills?limit=1")  # raises with Tocsin's error
            lines = raw.decode().splitlines()
            cli.say("\n".join(lines if not header_said else lines[1:]))
            header_said = True
            page = api.get(f"/v1/drills?limit=200{suffix}")  # where the next page starts
        else:
            page = api.get(f"/v1/drills?limit=200{suffix}")
            for drill in page["drills"]:
                cli.say(register_line(drill))
        cursor = page["next_cursor"]
        if cursor is None:
            return 0
