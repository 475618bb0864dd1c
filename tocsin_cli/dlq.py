"""``tocsin dlq show|redrive``: what the dead-letter queues hold, why, and sending it back.

    tocsin dlq show [QUEUE] [--limit N]   each dead letter: its id, what it is about (ids only),
                                          when it was sent and last failed, on which try, and
                                          why; exit 1 when any queue holds one
    tocsin dlq redrive [QUEUE]            after a fix: back to the queue, to be handled again

QUEUE is ``ingest`` (events waiting to be decided) or ``dispatch`` (notifications waiting to be
sent); without it, both. An event marked ``failed`` is decided once its message is redriven.
"""

from __future__ import annotations

import argparse

from tocsin_cli.cli import Cli

QUEUES = ("ingest", "dispatch")


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    dlq = commands.add_parser(
        "dlq", help="dead-letter queues: what they hold and why; send it back", parents=[common]
    ).add_subparsers(dest="action", required=True)
    show = dlq.add_parser(
        "show", help="each dead letter with why it failed (exit 1 if any)", parents=[common]
    )
    show.add_argument("queue", nargs="?", choices=QUEUES, help="one queue (default: both)")
    show.add_argument("--limit", type=int, default=50, help="letters shown per queue (50)")
    show.set_defaults(run=show_dead_letters)
    redrive = dlq.add_parser(
        "redrive", help="send dead letters back to their queue, after a fix", parents=[common]
    )
    redrive.add_argument("queue", nargs="?", choices=QUEUES, help="one queue (default: both)")
    redrive.set_defaults(run=redrive_dead_letters)


def _chosen(arguments: argparse.Namespace) -> list[str]:
    return [arguments.queue] if arguments.queue else list(QUEUES)


def show_dead_letters(arguments: argparse.Namespace, cli: Cli) -> int:
    held = 0
    for name in _chosen(arguments):
        found = cli.services.dead_letters.show(name, max(1, arguments.limit))
        held += found.approximate_count
        if not found.approximate_count:
            cli.say(f"{found.dead_letter_queue}: empty")
            continue
        shown = len(found.letters)
        more = f", {shown} shown" if shown < found.approximate_count else ""
        cli.say(f"{found.dead_letter_queue}: {found.approximate_count} message(s){more}")
        for letter in found.letters:
            sent = f"{letter.sent_at:%Y-%m-%d %H:%M:%S} UTC" if letter.sent_at else "unknown"
            cli.say(f"  {letter.message_id}  {letter.holds}")
            failure = letter.failure
            if failure is None:
                cli.say(f"    sent {sent}")
                cli.say("    why: no failure recorded (the handler may never have run)")
            else:
                cli.say(
                    f"    sent {sent}, last failed {failure.at:%Y-%m-%d %H:%M:%S} UTC "
                    f"(try {failure.receives})"
                )
                cli.say(f"    why: {failure.reason}")
    if held:
        cli.say(
            "Fix the cause, then `tocsin dlq redrive [QUEUE]` sends them back to be handled again."
        )
    return 1 if held else 0


def redrive_dead_letters(arguments: argparse.Namespace, cli: Cli) -> int:
    for name in _chosen(arguments):
        moved = cli.services.dead_letters.redrive(name)
        queue = cli.services.dead_letters.queue_of(name)
        cli.say(f"{queue}-dlq -> {queue}: {moved} message(s) sent back")
    return 0
