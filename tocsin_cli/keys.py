"""``tocsin keys create|list|revoke``: integration and API keys; only their digests are stored."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from chalicelib.core.access import INTEGRATIONS, ApiKey, Scope, is_type_pattern, type_matches
from chalicelib.core.errors import InvalidInput
from chalicelib.core.events import is_event_type
from chalicelib.integrations.common import IntegrationDefaults
from chalicelib.storage.api_keys import generate_api_key, generate_signing_secret
from tocsin_cli.cli import Cli


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    keys = commands.add_parser(
        "keys", help="integration and API keys", parents=[common]
    ).add_subparsers(dest="action", required=True)
    create = keys.add_parser(
        "create", help="create a key; it is shown once, then only its digest", parents=[common]
    )
    create.add_argument("name")
    create.add_argument(
        "--scope", action="append", default=[], choices=[scope.value for scope in Scope]
    )
    create.add_argument(
        "--integration",
        action="append",
        choices=sorted(INTEGRATIONS),
        default=[],
        help="the key may call only these integrations' paths (default: every path)",
    )
    create.add_argument(
        "--type", dest="event_type", help="event type its events get by default (e.g. it.outage)"
    )
    create.add_argument(
        "--allow-type",
        dest="allowed_types",
        action="append",
        default=[],
        metavar="TYPE",
        help="the only event types it may send, e.g. it.outage or it.* (repeatable; default: any)",
    )
    create.add_argument(
        "--source",
        help="source name its events get by default, and the namespace of its dedup keys "
        "(keys given the same --source share it; default: the key's own name)",
    )
    create.add_argument(
        "--signed",
        action="store_true",
        help="require HMAC-signed requests (prints the signing secret)",
    )
    create.add_argument(
        "--rate",
        type=int,
        default=600,
        help="events a minute, a request without events counting one (default 600)",
    )
    create.add_argument(
        "--contact",
        help="a personal key, acting for this contact (needed for --scope activate)",
    )
    create.add_argument(
        "--heartbeat",
        action="append",
        default=[],
        metavar="ID",
        help="let the key ping this heartbeat of the playbook (POST /v1/heartbeats/ID); "
        "a key for pings only needs no --scope",
    )
    create.set_defaults(run=create_key)
    keys.add_parser(
        "list", help="list keys (names, scopes; never the keys)", parents=[common]
    ).set_defaults(run=list_keys)
    revoke = keys.add_parser("revoke", help="revoke a key at once", parents=[common])
    revoke.add_argument("name")
    revoke.set_defaults(run=revoke_key)


def create_key(arguments: argparse.Namespace, cli: Cli) -> int:
    typed = arguments.event_type
    if typed is not None and not (is_event_type(typed) and "." in typed):
        raise InvalidInput(
            f"--type {arguments.event_type!r} is not an event type: lower-case words joined "
            "by dots, such as 'it.outage' or 'cyber.data_breach'"
        )
    bad = [pattern for pattern in arguments.allowed_types if not is_type_pattern(pattern)]
    if bad:
        raise InvalidInput(
            f"--allow-type {bad[0]!r} is neither an event type ('it.outage') nor a family of "
            "them ('it.*')"
        )
    default_type = typed or IntegrationDefaults().event_type
    if arguments.allowed_types and not any(
        type_matches(pattern, default_type) for pattern in arguments.allowed_types
    ):
        raise InvalidInput(
            f"the key's events get the type {default_type!r} unless they say otherwise, and "
            f"--allow-type {' '.join(arguments.allowed_types)} refuses it: give a --type it allows"
        )
    if not arguments.scope and not arguments.heartbeat:
        raise InvalidInput("give the key what it is for: --scope, --heartbeat, or both")
    _require_declared(arguments.heartbeat, cli)
    for personal in ("activate", "statements"):
        if personal in arguments.scope and not arguments.contact:
            raise InvalidInput(f"--scope {personal} needs --contact: the person the key acts for")
    if arguments.rate < 1:
        raise InvalidInput("--rate must be at least 1 request a minute")
    secret = generate_signing_secret() if arguments.signed else None
    api_key = generate_api_key()
    cli.services.api_keys.add(
        api_key,
        ApiKey(
            name=arguments.name,
            scopes=frozenset(Scope(s) for s in arguments.scope),
            integrations=frozenset(arguments.integration),
            event_type=arguments.event_type,
            source=arguments.source,
            signing_secrets=(secret,) if secret else (),
            rate_per_minute=arguments.rate,
            contact_id=arguments.contact,
            allowed_types=tuple(dict.fromkeys(arguments.allowed_types)),
            heartbeats=frozenset(arguments.heartbeat),
        ),
        datetime.now(UTC),
    )
    cli.say(f"key {arguments.name!r} created; store it now, it is not shown again:")
    cli.say(f"  api key:        {api_key}")
    if secret:
        cli.say(f"  signing secret: {secret}")
    return 0


def _require_declared(heartbeats: list[str], cli: Cli) -> None:
    """A key bound to a heartbeat nobody declared is a typo that would surface only as
    refused pings, at the worst moment: refuse it now."""
    if not heartbeats:
        return
    playbook = cli.services.playbook_store.load()
    unknown = sorted(set(heartbeats) - set(playbook.heartbeats))
    if unknown:
        declared = ", ".join(sorted(playbook.heartbeats)) or "none"
        raise InvalidInput(
            f"--heartbeat {unknown[0]!r}: no such heartbeat in the playbook in force "
            f"(version {playbook.version}; declared: {declared}); declare it in policies/ "
            "and apply it first"
        )


def list_keys(arguments: argparse.Namespace, cli: Cli) -> int:
    rows = sorted(cli.services.api_keys.list(), key=lambda row: row["name"])
    cli.say(
        f"{'NAME':<24} {'SCOPES':<22} {'INTEGRATIONS':<24} {'TYPES':<20} {'SIGNED':<6} {'STATE'}"
    )
    for row in rows:
        state = f"revoked {row['revoked_at'][:19]}" if row.get("revoked_at") else "active"
        beats = row.get("heartbeats") or []
        cli.say(
            f"{row['name']:<24} {','.join(row['scopes']) or '-':<22} "
            f"{','.join(row['integrations']) or 'all':<24} "
            f"{','.join(row.get('allowed_types') or []) or 'any':<20} "
            f"{'yes' if row.get('signed') else 'no':<6} {state}"
            + (f"  (heartbeats: {', '.join(beats)})" if beats else "")
        )
    return 0


def revoke_key(arguments: argparse.Namespace, cli: Cli) -> int:
    cli.services.api_keys.revoke(arguments.name, datetime.now(UTC))
    cli.say(f"key {arguments.name!r} revoked")
    return 0
