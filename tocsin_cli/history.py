"""``tocsin incidents list|show`` and ``tocsin events list``: what happened, as tables or JSON.

The filters are read by the same code as ``GET /v1/incidents`` and ``GET /v1/events``, so they
accept and refuse exactly what the API does; ``--json`` prints the API's documents.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.core.listing import (
    EVENT_FILTERS,
    INCIDENT_FILTERS,
    MAX_LIMIT,
    EventQuery,
    Exercises,
    IncidentQuery,
    cursor_for,
    event_query,
    incident_query,
)
from chalicelib.core.model import DecisionOutcome, IncidentStatus, Severity
from chalicelib.core.summaries import (
    EventSummary,
    IncidentSummary,
    event_document,
    incident_document,
)
from tocsin_cli.cli import Cli


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    incidents = commands.add_parser(
        "incidents", help="incidents: list them, show one", parents=[common]
    ).add_subparsers(dest="action", required=True)
    listing = incidents.add_parser(
        "list", help="incidents, newest first (drills left out unless asked)", parents=[common]
    )
    listing.add_argument("--status", help=_one_of(IncidentStatus))
    listing.add_argument("--since", help="opened at or after (ISO 8601 with a time zone)")
    listing.add_argument("--until", help="opened at or before")
    listing.add_argument("--type", help="an event type, such as it.outage")
    listing.add_argument("--severity", help=_one_of(Severity))
    listing.add_argument("--plan", help="a response plan id")
    listing.add_argument("--exercise", help=_one_of(Exercises) + " (default exclude)")
    _paging(listing)
    listing.set_defaults(run=list_incidents)
    show = incidents.add_parser("show", help="one incident and its timeline", parents=[common])
    show.add_argument("incident_id")
    show.add_argument("--json", action="store_true", help="the API's JSON document")
    show.set_defaults(run=show_incident)
    events = commands.add_parser(
        "events", help="events and their decisions", parents=[common]
    ).add_subparsers(dest="action", required=True)
    event_listing = events.add_parser("list", help="events, newest first", parents=[common])
    event_listing.add_argument("--status", help=_one_of(DecisionOutcome))
    event_listing.add_argument("--source", help="events from this source only")
    event_listing.add_argument("--since", help="received at or after (ISO 8601)")
    _paging(event_listing)
    event_listing.set_defaults(run=list_events)


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", help=f"rows to show, 1 to {MAX_LIMIT} (default 50)")
    parser.add_argument("--cursor", help="go on from where a previous listing stopped")
    parser.add_argument(
        "--all", action="store_true", help="every row, following the pages to the end"
    )
    parser.add_argument("--json", action="store_true", help="the API's JSON document")


def _one_of(kind: Iterable[Any]) -> str:
    return "one of " + ", ".join(member.value for member in kind)


def list_incidents(arguments: argparse.Namespace, cli: Cli) -> int:
    query = _query(arguments, (*INCIDENT_FILTERS, "limit", "cursor"), incident_query, cli)
    if query is None:
        return 2
    assert isinstance(query, IncidentQuery)
    items, cursor = _collect(query, cli.services.lists.incidents, arguments.all)
    if arguments.json:
        cli.say(_json({"incidents": [incident_document(i) for i in items], "next_cursor": cursor}))
        return 0
    rows = [_incident_row(item) for item in items]
    _table(cli, ("OPENED (UTC)", "STATUS", "SEVERITY", "TYPE", "PLAN", "INCIDENT", "TITLE"), rows)
    _footer(cli, len(rows), "incident", cursor)
    return 0


def list_events(arguments: argparse.Namespace, cli: Cli) -> int:
    query = _query(arguments, (*EVENT_FILTERS, "limit", "cursor"), event_query, cli)
    if query is None:
        return 2
    assert isinstance(query, EventQuery)
    items, cursor = _collect(query, cli.services.lists.events, arguments.all)
    if arguments.json:
        cli.say(_json({"events": [event_document(e) for e in items], "next_cursor": cursor}))
        return 0
    rows = [_event_row(item) for item in items]
    _table(cli, ("RECEIVED (UTC)", "STATUS", "SEVERITY", "TYPE", "SOURCE", "EVENT", "WHY"), rows)
    _footer(cli, len(rows), "event", cursor)
    return 0


def show_incident(arguments: argparse.Namespace, cli: Cli) -> int:
    incident = cli.services.incidents.get(arguments.incident_id)
    if incident is None:
        raise NotFound(f"no incident {arguments.incident_id!r}")
    timeline = cli.services.incidents.timeline(incident.incident_id)
    if arguments.json:
        cli.say(_json(cli.services.responses.document(incident, timeline)))
        return 0
    drill = " (exercise)" if incident.is_exercise else ""
    cli.say(f"{incident.incident_id}  {incident.status.value}{drill}  {incident.title}")
    for label, value in (
        ("severity", incident.severity.value),
        ("type", incident.type),
        ("plan", incident.plan_id),
        ("rule", incident.rule_id),
        ("opened", _when(incident.opened_at)),
        ("first alert sent", _when(incident.first_sent_at)),
        ("resolved", _when(incident.resolved_at)),
        ("events", str(incident.event_count)),
    ):
        cli.say(f"  {label + ':':<18}{value}")
    cli.say("")
    _table(
        cli,
        ("AT (UTC)", "WHAT", "SUMMARY"),
        [(_when(e.at, seconds=True), e.kind, e.summary) for e in timeline],
    )
    return 0


def _query(
    arguments: argparse.Namespace,
    names: Iterable[str],
    parse: Callable[[dict[str, list[str]]], IncidentQuery | EventQuery],
    cli: Cli,
) -> IncidentQuery | EventQuery | None:
    """The options as the API's query parameters, read by the API's own parser."""
    params = {
        name: [str(value)]
        for name in names
        if (value := getattr(arguments, name, None)) is not None
    }
    try:
        return parse(params)
    except InvalidRequest as error:
        for problem in error.problems:
            cli.err.write(f"tocsin: --{problem.field}: {problem.message}\n")
        return None


def _collect(
    query: Any, read: Callable[[Any], Any], everything: bool
) -> tuple[list[Any], str | None]:
    items: list[Any] = []
    while True:
        page = read(query)
        items += page.items
        if not everything or page.next is None:
            return items, cursor_for(query, page.next)
        query = replace(query, after=page.next)


def _incident_row(item: IncidentSummary) -> tuple[str, ...]:
    title = ("[exercise] " if item.exercise else "") + item.title
    return (
        _when(item.opened_at),
        item.status.value,
        item.severity.value,
        item.type,
        item.plan_id,
        item.incident_id,
        title[:60],
    )


def _event_row(item: EventSummary) -> tuple[str, ...]:
    why = item.incident_id or item.reason or ""
    return (
        _when(item.received_at),
        item.status.value,
        item.severity.value,
        item.type,
        item.source[:30],
        item.event_id,
        why[:60],
    )


def _table(cli: Cli, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        cli.say(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _footer(cli: Cli, shown: int, what: str, cursor: str | None) -> None:
    noun = what if shown == 1 else f"{what}s"
    if cursor:
        cli.say(f"{shown} {noun} shown; more with --cursor {cursor} (and the same filters)")
    else:
        cli.say(f"{shown} {noun}" if shown else f"no {what}s match")


def _when(at: datetime | None, seconds: bool = False) -> str:
    if at is None:
        return "-"
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
