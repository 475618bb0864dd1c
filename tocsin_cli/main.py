"""The tocsin command: operator tasks against the local stack or a deployed stage.

    tocsin keys create NAME --scope trigger [--scope resolve] [--integration alertmanager]
                            [--type it.outage] [--source prometheus-prod] [--signed] [--rate 600]
                            [--heartbeat ID]   (the key may ping that heartbeat)
    tocsin keys list | revoke NAME
    tocsin contacts import FILE.csv      (per row: created, updated, unchanged or rejected, why)
    tocsin contacts erase CONTACT_ID [--no-wait] [--here]  (remove at once, then pseudonymise
                                         every record of them: a job; waits with progress)
    tocsin contacts audit CONTACT_ID     (who read, saved or erased them, and when)
    tocsin policies validate [DIR]       (offline; every error as file:line: path: message)
    tocsin policies diff [DIR] | apply [DIR] | export [--version N] | versions
    tocsin ack|decline INCIDENT_ID [--key KEY]   (your personal key, or env TOCSIN_KEY: counts)
    tocsin ack|decline INCIDENT_ID --as CONTACT_ID (AWS credentials: recorded, never counted)
    tocsin resolve INCIDENT_ID [--key KEY | --as CONTACT_ID]  (everyone reached is told)
    tocsin oncall show SCHEDULE [--from ISO] [--to ISO]   (shifts and gaps; exit 1 on a gap)
    tocsin oncall override SCHEDULE --contact C --from ISO --to ISO [--covers C]
    tocsin oncall remove SCHEDULE OVERRIDE_ID
    tocsin holds list [--state held|released|cancelled|all]   (messages held past the budget)
    tocsin holds release|cancel HOLD_ID... --as CONTACT_ID [--all-held]
    tocsin oncall calendar CONTACT [--revoke] (a private calendar link to their shifts)
    tocsin statement list|show|draft|edit|approve|reject|publish INCIDENT [STATEMENT] [--key KEY]
                                         (statements to audiences; two people approve each)
    tocsin drill run PLAN --kind tabletop|simulation|full-scale|surprise --roster C,role:R
                     [--target [ROLE:]90%:15m] [--window "mon-fri 02:00-05:00" --within 30d]
                                         (a tabletop prints the plan and its gaps, sends nothing)
    tocsin drill list [--csv]            (the drill register: kind, plan, roster, raw counts)
    tocsin channels check                (each Slack, Teams, Mastodon token or webhook still
                                         works? posts nothing; exit 1 if one fails)
    tocsin import opsgenie|pagerduty|ical FILE... [--contacts FILE.csv] [--map USER=CONTACT]
                  [--out DIR] [--partial] [--dry-run]  (every problem, or a validated file)
    tocsin heartbeats list               (last ping and state of each; exit 1 if one is missed)
    tocsin smoke [--canary CONTACT_ID] [--key KEY] [--timeout 300]
                                         (a test event end to end; exit 1 if no receipt)
    tocsin dlq show [ingest|dispatch] [--limit N]   (dead letters and why; exit 1 if any)
    tocsin dlq redrive [ingest|dispatch]            (send them back after a fix)
    tocsin incidents list [--status S] [--since T] [--until T] [--type T] [--severity S]
                          [--plan P] [--exercise exclude|include|only] [--limit N] [--all] [--json]
    tocsin incidents show INCIDENT_ID [--json]
    tocsin events list [--status S] [--source S] [--since T] [--limit N] [--all] [--json]
    tocsin report INCIDENT_ID [--format json|md|html|csv] [--output FILE]
                                         (after-action report: times, reach, who answered)
    tocsin analytics [--since 90d] [--format json|md|html|csv] [--output FILE]
                                         (MTTA, MTTR, pages per person, drill pass rate)

Every command takes --stage and --profile (a deployed stage), --aws-endpoint (default for the
local stack: http://127.0.0.1:5000; env TOCSIN_AWS_ENDPOINT) and --api (default
http://127.0.0.1:8000; env TOCSIN_API). Exit codes: 0 done, 1 done with problems to look at
(rejected rows, gaps, invalid policies), 2 refused or failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TextIO

from chalicelib.core.errors import TocsinError, TransientError
from chalicelib.wiring import Container
from tocsin_cli import (
    checkins,
    contacts,
    dlq,
    drills,
    heartbeats,
    history,
    holds,
    importing,
    keys,
    policy_commands,
    reports,
    respond,
    smoke,
    statements,
)
from tocsin_cli.cli import Cli, common_options
from tocsin_cli.http import Transport
from tocsin_cli.policies import PolicyErrors
from tocsin_cli.stage import LOCAL_STAGE, Target

GROUPS = (
    keys,
    contacts,
    policy_commands,
    respond,
    heartbeats,
    importing,
    holds,
    checkins,
    drills,
    statements,
    smoke,
    dlq,
    history,
    reports,
)


def _version() -> str:
    try:
        return version("tocsin")
    except PackageNotFoundError:  # run from a checkout without `pip install -e .`
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    common = common_options()
    lines = (__doc__ or "").splitlines()
    root = argparse.ArgumentParser(
        prog="tocsin",
        description=lines[0],
        epilog="\n".join(lines[1:]).strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    root.add_argument("--version", action="version", version=f"tocsin {_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands, common)
    return root


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    services: Container | None = None,
    err: TextIO | None = None,
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """``services``, ``transport``, ``sleep``: tests pass the services, the HTTP transport and
    the wait between refreshes to use; otherwise they are built from the options."""
    try:
        return _main(argv, out, services, err or sys.stderr, transport, sleep)
    except BrokenPipeError:
        # `tocsin oncall show X | head`: the reader left early; that is not an error. Point
        # stdout at /dev/null so the interpreter's last flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(
    argv: Sequence[str] | None,
    out: TextIO,
    services: Container | None,
    errors: TextIO,
    transport: Transport | None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    arguments = parser().parse_args(argv)
    try:
        target = Target.chosen(
            getattr(arguments, "stage", LOCAL_STAGE),
            getattr(arguments, "profile", None),
            getattr(arguments, "aws_endpoint", None),
            getattr(arguments, "api", None),
        )
    except TocsinError as error:
        print(f"tocsin: {error}", file=errors)
        return 2
    cli = Cli(target, out, errors, services, transport, sleep)
    try:
        return int(arguments.run(arguments, cli))
    except PolicyErrors as problems:
        policy_commands.report(problems, cli, what="")
        return 1
    except TransientError as error:
        print(
            f"tocsin: cannot reach {target.describe_aws()} ({error}); {target.unreachable_hint()}",
            file=errors,
        )
        return 2
    except TocsinError as error:
        print(f"tocsin: {error}", file=errors)
        return 2
    except BrokenPipeError:
        raise
    except OSError as error:
        print(f"tocsin: {error.strerror}: {error.filename}", file=errors)
        return 2


if __name__ == "__main__":
    sys.exit(main())
