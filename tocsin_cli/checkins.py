"""``tocsin checkin start|show|answer``: "are you safe?" through the HTTP API (``--api``), with
a personal key (``--key`` or ``TOCSIN_KEY``).

    tocsin checkin start --team site-oslo [--label building-a] --responders role:facilities
                         [--question TEXT]
                         [--option TEXT ...] [--deadline 1h] [--remind-every 10m --remind-times 3
                         --then-lead] [--exercise]
    tocsin checkin show CHECKIN_ID [--watch [SECONDS]] [--csv]
    tocsin checkin answer CHECKIN_ID OPTION
"""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import quote

from chalicelib.core.errors import InvalidInput
from tocsin_cli.cli import Cli
from tocsin_cli.http import KEY_VARIABLE, ApiRefused, TocsinApi

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear screen: --watch refreshes in place


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    checkin = commands.add_parser(
        "checkin", help='"are you safe?": start, show, answer', parents=[common]
    ).add_subparsers(dest="action", required=True)
    start = checkin.add_parser("start", help="ask many people", parents=[common])
    for name in ("role", "team", "label", "contact"):
        start.add_argument(f"--{name}", action="append", default=[], help=f"ask this {name}")
    start.add_argument("--everyone", action="store_true")
    start.add_argument("--question", help='default "Are you safe?" in each language')
    start.add_argument("--option", action="append", default=[], help="2 to 9, in order")
    start.add_argument("--help-option", type=int, help="the option that is an incident")
    start.add_argument(
        "--responders", required=True, help="role:ID, team:ID, schedule:ID or escalation:ID"
    )
    start.add_argument("--deadline", default="1h")
    start.add_argument("--remind-every")
    start.add_argument("--remind-times", type=int, default=0)
    start.add_argument(
        "--then-lead", action="store_true", help="then tell each silent person's lead"
    )
    start.add_argument("--exercise", action="store_true")
    start.set_defaults(run=start_checkin)
    show = checkin.add_parser("show", help="the live counts", parents=[common])
    show.add_argument("checkin_id")
    show.add_argument("--watch", nargs="?", type=float, const=5.0, metavar="SECONDS")
    show.add_argument("--csv", action="store_true", help="every person's answer, as CSV")
    show.set_defaults(run=show_checkin)
    answer = checkin.add_parser("answer", help="answer as yourself", parents=[common])
    answer.add_argument("checkin_id")
    answer.add_argument("option", type=int)
    answer.set_defaults(run=answer_checkin)
    for command in (start, show, answer):
        command.add_argument("--key", help=f"your personal API key (better: env {KEY_VARIABLE})")


def _api(arguments: argparse.Namespace, cli: Cli) -> TocsinApi:
    key = arguments.key or os.environ.get(KEY_VARIABLE)
    if not key:
        raise InvalidInput(f"--key (or env {KEY_VARIABLE}): your personal API key")
    if cli.target.api is None:
        raise InvalidInput(f"--api URL (env TOCSIN_API): where stage {cli.target.stage}'s API is")
    return TocsinApi(cli.target.api, key, cli.transport)


def start_checkin(arguments: argparse.Namespace, cli: Cli) -> int:
    kind, _, name = str(arguments.responders).partition(":")
    audience: dict[str, Any] = {
        "roles": arguments.role,
        "teams": arguments.team,
        "labels": arguments.label,
        "contacts": arguments.contact,
    }
    if arguments.everyone:
        audience["everyone"] = True
    document: dict[str, Any] = {
        "audience": audience,
        "responders": {kind: name},
        "deadline": arguments.deadline,
        "status": "exercise" if arguments.exercise else "actual",
    }
    if arguments.question:
        document["question"] = arguments.question
    if arguments.option:
        document["options"] = arguments.option
    if arguments.help_option:
        document["help_option"] = arguments.help_option
    if arguments.remind_every:
        document["remind"] = {
            "every": arguments.remind_every,
            "times": arguments.remind_times,
            "then_lead": arguments.then_lead,
        }
    try:
        started = _api(arguments, cli).post("/v1/checkins", document)
    except ApiRefused as refused:
        cli.say(f"refused: {refused}")
        return 1
    cli.say(
        f"{started['checkin_id']}: {started['asked']} people asked; answers until "
        f"{started['deadline']}"
    )
    return 0


def show_checkin(arguments: argparse.Namespace, cli: Cli) -> int:
    api = _api(arguments, cli)
    path = f"/v1/checkins/{quote(arguments.checkin_id, safe='')}"
    if arguments.csv:
        status, raw = api.get_raw(path + "?format=csv")
        if status >= 400:
            api.get(path)  # raises with Tocsin's error
        cli.say(raw.decode().rstrip("\n"))
        return 0
    while True:
        view = api.get(path)
        text = describe(view)
        if arguments.watch is None:
            cli.say(text)
            return 0
        cli.say(CLEAR + text)
        if view["status"] != "open":  # closed at its deadline: nothing more will change
            return 0
        try:
            cli.sleep(max(arguments.watch, 1.0))
        except KeyboardInterrupt:  # Ctrl-C ends the watch, not with a traceback
            cli.say()
            return 0


def describe(view: dict[str, Any]) -> str:
    """The counts as a person reads them: per option, per team and label, who is silent."""
    question = view["question"].get("en") or next(iter(view["question"].values()))
    lines = [
        f"{view['checkin_id']} ({view['status']}{', exercise' if view['exercise'] else ''}): "
        f"{question}",
        f"asked {view['asked']}, answered {view['answered']} (late {view['late']}), "
        f"deadline {view['deadline']}",
    ]
    lines += [
        f"  {row['option']:>4}  {row['text']:<30} {row['people']:>6}" for row in view["counts"]
    ]
    groups = [("team", view["by_team"]), ("label", view.get("by_label", {}))]
    for kind, rows in groups:
        for name, row in rows.items():
            cells = " ".join(f"{option}:{people}" for option, people in row.items())
            lines.append(f"  {kind} {name:<20} {cells}")
    if view["needing_help"]:
        lines.append("needing help: " + ", ".join(h["contact_id"] for h in view["needing_help"]))
    silent = view["non_responders"]
    lines.append(f"not answered ({len(silent)}): " + ", ".join(silent[:50]))
    if view["unreachable"]:
        lines.append("unreachable: " + ", ".join(view["unreachable"][:50]))
    return "\n".join(lines)


def answer_checkin(arguments: argparse.Namespace, cli: Cli) -> int:
    path = f"/v1/checkins/{quote(arguments.checkin_id, safe='')}/answer"
    try:
        answered = _api(arguments, cli).post(path, {"option": arguments.option})
    except ApiRefused as refused:
        cli.say(f"refused: {refused}")
        return 1
    late = " (late)" if answered["late"] else ""
    cli.say(f"recorded: {answered['option']} {answered['answer']}{late}")
    return 0
