"""The ``tocsin`` command: operator tasks against the local stack or a deployed stage.

    tocsin keys create NAME --scope trigger [--scope resolve] [--integration alertmanager]
                            [--type it.outage] [--source prometheus-prod] [--signed] [--rate 600]
    tocsin keys list
    tocsin keys revoke NAME
    tocsin contacts import FILE.csv      (per row: created, updated, unchanged or rejected, why)
    tocsin contacts erase CONTACT_ID     (remove, and pseudonymise them in incident records)
    tocsin policies validate [DIR]       (every error as file:line: path: message)
    tocsin policies diff [DIR]           (what apply would change)
    tocsin policies apply [DIR]          (store a new version; the same documents change nothing)
    tocsin policies export [--version N] (the stored documents as YAML)
    tocsin policies versions
    tocsin ack INCIDENT_ID --as CONTACT_ID  (as a person the incident paged)
    tocsin resolve INCIDENT_ID --as WHO     (everyone reached is told)
    tocsin oncall show SCHEDULE [--from ISO] [--to ISO]   (shifts and gaps; exit 1 on a gap)
    tocsin oncall override SCHEDULE --contact C --from ISO --to ISO [--covers C]
    tocsin oncall remove SCHEDULE OVERRIDE_ID
    tocsin smoke [--canary CONTACT_ID] [--key KEY] [--api-url URL] [--timeout 300]
                                            (a test event end to end; exit 1 if no receipt)

``--stage local`` (the default) talks to the local stack on 127.0.0.1:5000; any other stage uses
your AWS credentials and the tables ``tocsin-<stage>-*`` that infra/ deploys.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import InvalidInput, TocsinError
from chalicelib.core.events import is_event_type
from chalicelib.storage.api_keys import (
    DynamoApiKeyStore,
    generate_api_key,
    generate_signing_secret,
)
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.erasure import DynamoIncidentScrubber, erase_contact
from chalicelib.storage.playbooks import DynamoPlaybookStore
from chalicelib.wiring import Container
from tocsin_cli import respond, smoke
from tocsin_cli.contacts import import_contacts, read_contacts_csv
from tocsin_cli.policies import PolicyErrors, diff_sections, dump_sections, read_policy_dir
from tocsin_cli.stage import LOCAL_ENDPOINT, session_for, table

INTEGRATIONS = ("alertmanager", "grafana", "pagerduty", "opsgenie", "cap")


def dynamodb_client(stage: str, profile: str | None) -> Any:
    endpoint = LOCAL_ENDPOINT if stage == "local" else None
    return session_for(stage, profile).client("dynamodb", endpoint_url=endpoint)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tocsin", description=__doc__.splitlines()[0])
    root.add_argument("--stage", default="local", help="local (default) or a deployed stage")
    root.add_argument("--profile", help="AWS profile for a deployed stage")
    commands = root.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="integration and API keys").add_subparsers(
        dest="action", required=True
    )
    create = keys.add_parser("create", help="create a key; it is shown once, then only its digest")
    create.add_argument("name")
    create.add_argument(
        "--scope", action="append", required=True, choices=[scope.value for scope in Scope]
    )
    create.add_argument(
        "--integration",
        action="append",
        choices=INTEGRATIONS,
        default=[],
        help="limit the key to these integrations (default: all)",
    )
    create.add_argument("--type", dest="event_type", help="event type its events get by default")
    create.add_argument("--source", help="source name its events get by default")
    create.add_argument(
        "--signed",
        action="store_true",
        help="require HMAC-signed requests (prints the signing secret)",
    )
    create.add_argument("--rate", type=int, default=600, help="requests a minute (default 600)")
    create.add_argument(
        "--contact",
        help="a personal key, acting for this contact (needed for --scope activate)",
    )
    keys.add_parser("list", help="list keys (names, scopes; never the keys)")
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("name")
    contacts = commands.add_parser("contacts", help="people (personal data)").add_subparsers(
        dest="action", required=True
    )
    load = contacts.add_parser("import", help="create or update contacts from CSV (idempotent)")
    load.add_argument("file", type=Path)
    erase = contacts.add_parser("erase", help="remove a person and pseudonymise their records")
    erase.add_argument("contact_id")
    policies = commands.add_parser("policies", help="the playbook as code").add_subparsers(
        dest="action", required=True
    )
    for action, text in (
        ("validate", "check the policy files; exit 1 with every error"),
        ("diff", "show what apply would change"),
        ("apply", "store the policy files as the next playbook version"),
    ):
        command = policies.add_parser(action, help=text)
        command.add_argument("directory", nargs="?", type=Path, default=Path("policies"))
    export = policies.add_parser("export", help="print a stored version as YAML")
    export.add_argument("--version", type=int, help="default: the current version")
    policies.add_parser("versions", help="list applied versions")
    respond.add_commands(commands)
    smoke.add_command(commands)
    return root


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    client: Any = None,
    services: Container | None = None,
) -> int:
    arguments = parser().parse_args(argv)
    if arguments.command == "policies" and arguments.action == "validate":
        return _validate(arguments.directory, out)
    if arguments.command == "smoke":
        return smoke.command(arguments, out)
    if arguments.command in ("ack", "resolve", "oncall"):
        try:
            return respond.run(
                arguments, services or respond.services_for(arguments.stage, arguments.profile), out
            )
        except TocsinError as error:
            print(f"tocsin: {error}", file=sys.stderr)
            return 2
    dynamodb = client or dynamodb_client(arguments.stage, arguments.profile)
    try:
        if arguments.command == "policies":
            return _policies(
                arguments, DynamoPlaybookStore(dynamodb, table(arguments.stage, "config")), out
            )
        if arguments.command == "contacts":
            return _contacts(arguments, dynamodb, out)
        return _keys(arguments, DynamoApiKeyStore(dynamodb, table(arguments.stage, "config")), out)
    except PolicyErrors as problems:
        _print_errors(problems)
        return 1
    except TocsinError as error:
        print(f"tocsin: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"tocsin: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2


def _validate(directory: Path, out: TextIO) -> int:
    try:
        playbook = read_policy_dir(directory).validate()
    except PolicyErrors as problems:
        _print_errors(problems)
        return 1
    print(
        f"{directory}: valid: {len(playbook.rules)} rules, {len(playbook.plans)} plans, "
        f"{len(playbook.roles)} roles, {len(playbook.teams)} teams, "
        f"{len(playbook.templates)} template sets, "
        f"{len(playbook.schedules)} schedules, {len(playbook.maintenance)} maintenance windows, "
        f"{len(playbook.oncall)} on-call schedules, "
        f"{len(playbook.escalations)} escalation policies",
        file=out,
    )
    return 0


def _print_errors(problems: PolicyErrors) -> None:
    for error in problems.errors:
        print(error, file=sys.stderr)
    print(f"tocsin: {len(problems.errors)} error(s); nothing applied", file=sys.stderr)


def _policies(arguments: argparse.Namespace, store: DynamoPlaybookStore, out: TextIO) -> int:
    if arguments.action == "export":
        print(dump_sections(store.documents(arguments.version)), end="", file=out)
        return 0
    if arguments.action == "versions":
        current = store.current_version()
        for row in store.versions():
            marker = "*" if current and row["version"] == current[0] else " "
            counts = ", ".join(f"{count} {name}" for name, count in row["summary"].items())
            print(
                f"{marker} v{row['version']:<4} {row['applied_at'][:19]}  "
                f"{row['digest'][:12]}  {counts}",
                file=out,
            )
        return 0
    documents = read_policy_dir(arguments.directory)
    documents.validate()
    changes = diff_sections(store.documents(), documents.sections)
    current = store.current_version()
    if arguments.action == "diff":
        for line in changes or ["no changes"]:
            print(line, file=out)
        return 0
    applied = store.apply(documents.sections, datetime.now(UTC))
    if not applied.changed:
        print(f"no changes; version {applied.version} stays current", file=out)
        return 0
    for line in changes:
        print(line, file=out)
    before = f"version {current[0]}" if current else "nothing"
    print(f"applied version {applied.version} (was {before})", file=out)
    return 0


def _contacts(arguments: argparse.Namespace, dynamodb: Any, out: TextIO) -> int:
    stage = arguments.stage
    directory = DynamoContactDirectory(dynamodb, table(stage, "contacts"))
    if arguments.action == "erase":
        scrubber = DynamoIncidentScrubber(dynamodb, table(stage, "incidents"))
        pseudonym, records = erase_contact(arguments.contact_id, directory, scrubber)
        print(
            f"contact {arguments.contact_id!r} erased; {records} incident records now say "
            f"{pseudonym!r}",
            file=out,
        )
        return 0
    playbook = DynamoPlaybookStore(dynamodb, table(stage, "config")).load()
    contacts, rejected = read_contacts_csv(
        arguments.file, known_roles=playbook.roles, known_teams=playbook.teams
    )
    report = import_contacts(contacts, directory, progress=_progress_bar())
    print(
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, rejected {len(rejected)}",
        file=out,
    )
    for row in rejected:
        print(f"  line {row.line}: {row.reason}", file=out)
    return 1 if rejected else 0


def _progress_bar() -> Callable[[int, int], None] | None:
    """A progress line on a terminal, for large files; nothing when output is redirected."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total >= 200 and (done % 100 == 0 or done == total):
            width = 30
            filled = width * done // total
            print(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                end="",
                file=sys.stderr,
                flush=done == total,
            )
            if done == total:
                print(file=sys.stderr)

    return show


def _keys(arguments: argparse.Namespace, store: DynamoApiKeyStore, out: TextIO) -> int:
    now = datetime.now(UTC)
    if arguments.action == "create":
        if arguments.event_type and not is_event_type(arguments.event_type):
            raise InvalidInput(
                f"--type {arguments.event_type!r} is not an event type such as 'it.outage'"
            )
        if "activate" in arguments.scope and not arguments.contact:
            raise InvalidInput("--scope activate needs --contact: the person the key acts for")
        secret = generate_signing_secret() if arguments.signed else None
        api_key = generate_api_key()
        store.add(
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
            ),
            now,
        )
        print(f"key {arguments.name!r} created; store it now, it is not shown again:", file=out)
        print(f"  api key:        {api_key}", file=out)
        if secret:
            print(f"  signing secret: {secret}", file=out)
        return 0
    if arguments.action == "list":
        rows = sorted(store.list(), key=lambda row: row["name"])
        print(f"{'NAME':<24} {'SCOPES':<22} {'INTEGRATIONS':<24} {'SIGNED':<6} {'STATE'}", file=out)
        for row in rows:
            print(
                f"{row['name']:<24} {','.join(row['scopes']):<22} "
                f"{','.join(row['integrations']) or 'all':<24} "
                f"{'yes' if row.get('signed') else 'no':<6} "
                f"{'revoked ' + row['revoked_at'][:19] if row.get('revoked_at') else 'active'}",
                file=out,
            )
        return 0
    store.revoke(arguments.name, now)
    print(f"key {arguments.name!r} revoked", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
