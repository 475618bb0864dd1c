"""``tocsin report INCIDENT`` and ``tocsin analytics --since 90d``: the after-action report of
an incident or drill, and the figures over a period, as ``GET /v1/incidents/{id}/report`` and
``GET /v1/analytics`` give them (the same code), printed or written to a file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chalicelib.core.errors import InvalidRequest
from chalicelib.core.reports.report_desk import Rendered, ReportFormat, report_format
from tocsin_cli.cli import Cli

_FORMATS = ", ".join(f.value for f in ReportFormat)


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    report = commands.add_parser(
        "report", help="an incident's or drill's after-action report", parents=[common]
    )
    report.add_argument("incident_id")
    _output(report)
    report.set_defaults(run=show_report)
    analytics = commands.add_parser(
        "analytics", help="MTTA, MTTR, pages per person, drill pass rate", parents=[common]
    )
    analytics.add_argument("--since", help="how far back: 12h, 90d, 8w (default 30d)")
    _output(analytics)
    analytics.set_defaults(run=show_analytics)


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", help=f"one of {_FORMATS} (default json)")
    parser.add_argument("--output", type=Path, help="write it to this file (default: print it)")


def show_report(arguments: argparse.Namespace, cli: Cli) -> int:
    try:
        chosen = report_format(arguments.format)
    except InvalidRequest as error:
        return _refused(cli, error)
    rendered = cli.services.reports.rendered(arguments.incident_id, chosen)
    return _write(cli, rendered, arguments.output)


def show_analytics(arguments: argparse.Namespace, cli: Cli) -> int:
    try:
        chosen = report_format(arguments.format)
        rendered = cli.services.analytics.rendered(arguments.since, chosen)
    except InvalidRequest as error:
        return _refused(cli, error)
    return _write(cli, rendered, arguments.output)


def _refused(cli: Cli, error: InvalidRequest) -> int:
    for problem in error.problems:
        cli.err.write(f"tocsin: --{problem.field}: {problem.message}\n")
    return 2


def _write(cli: Cli, rendered: Rendered, output: Path | None) -> int:
    body = rendered.body
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n" if isinstance(body, dict) else body
    if output is None:
        cli.say(text.rstrip("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        cli.say(f"wrote the {rendered.format.value} to {output}")
    return 0
