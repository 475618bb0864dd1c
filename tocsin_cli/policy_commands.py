"""``tocsin policies validate|diff|apply|export|versions``: the playbook as code."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.core.errors import InvalidPolicy, SendError
from chalicelib.core.playbook.document import Playbook, parse_playbook
from chalicelib.core.playbook.site import SiteSettings
from tocsin_cli.cli import Cli
from tocsin_cli.policies import (
    PolicyDocuments,
    PolicyErrors,
    diff_sections,
    dump_sections,
    read_policy_dir,
)

# What ``versions`` counts in each stored version, in this order.
COUNTED = (
    "rules",
    "plans",
    "roles",
    "teams",
    "templates",
    "oncall",
    "escalations",
    "schedules",
    "maintenance",
    "settings",
    "heartbeats",
    "canaries",
    "audiences",
)


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    policies = commands.add_parser(
        "policies", help="the playbook as code", parents=[common]
    ).add_subparsers(dest="action", required=True)
    for action, text, run in (
        ("validate", "check the policy files (offline); exit 1 with every error", validate),
        ("diff", "show what apply would change", diff),
        ("apply", "store the policy files as the next playbook version", apply),
    ):
        command = policies.add_parser(action, help=text, parents=[common])
        command.add_argument("directory", nargs="?", type=Path, default=Path("policies"))
        command.set_defaults(run=run)
    export = policies.add_parser("export", help="print a stored version as YAML", parents=[common])
    export.add_argument("--version", type=int, help="default: the current version")
    export.set_defaults(run=export_version)
    policies.add_parser(
        "versions", help="list applied versions and what each holds", parents=[common]
    ).set_defaults(run=list_versions)


def describe(playbook: Playbook) -> str:
    counts = {
        "rules": len(playbook.rules),
        "plans": len(playbook.plans),
        "roles": len(playbook.roles),
        "teams": len(playbook.teams),
        "template sets": len(playbook.templates),
        "on-call schedules": len(playbook.oncall),
        "escalation policies": len(playbook.escalations),
        "schedules": len(playbook.schedules),
        "maintenance windows": len(playbook.maintenance),
        "audiences": len(playbook.audiences),
        "repeated drills": len(playbook.drills),
    }
    return ", ".join(f"{count} {name}" for name, count in counts.items())


def validate(arguments: argparse.Namespace, cli: Cli) -> int:
    try:
        playbook = read_policy_dir(arguments.directory).validate()
    except PolicyErrors as problems:
        report(problems, cli, what="")
        return 1
    cli.say(f"{arguments.directory}: valid: {describe(playbook)}")
    return 0


def diff(arguments: argparse.Namespace, cli: Cli) -> int:
    documents = _checked(arguments.directory, cli, "nothing compared")
    if documents is None:
        return 1
    changes = diff_sections(cli.services.playbook_store.documents(), documents.sections)
    for line in changes or ["no changes"]:
        cli.say(line)
    return 0


def apply(arguments: argparse.Namespace, cli: Cli) -> int:
    documents = _checked(arguments.directory, cli, "nothing applied")
    if documents is None:
        return 1
    store = cli.services.playbook_store
    changes = diff_sections(store.documents(), documents.sections)
    current = store.current_version()
    total = sum(len(items) for items in documents.sections.values())
    print(f"storing {total} documents...", file=cli.err, flush=True)
    site_before = _site_settings(store.documents()) if current else None
    applied = store.apply(documents.sections, datetime.now(UTC))
    if not applied.changed:
        cli.say(f"no changes; version {applied.version} stays current")
        return 0
    for line in changes:
        cli.say(line)
    before = f"version {current[0]}" if current else "nothing"
    cli.say(f"applied version {applied.version} (was {before})")
    site = documents.validate().site
    if site is not None and site != site_before:
        return _write_site(cli, applied.version)
    return 0


def _site_settings(sections: Mapping[str, Sequence[Any]]) -> SiteSettings | None:
    try:
        return parse_playbook(sections).site
    except InvalidPolicy:
        return None  # stored before today's checks: written again, as if it had changed


def _write_site(cli: Cli, version: int) -> int:
    """The site settings changed: the dark site (its prepared page when nothing is published)
    is rendered again with them, by whoever may write it (deployed: publish_site)."""
    poster = cli.services.site
    if poster is None:
        cli.say("the dark site's settings are stored; this stage has no site to write them to")
        return 0
    try:
        posting = poster.refresh(version)
    except SendError as error:
        print(f"tocsin: the dark site was not written: {error}; apply again", file=cli.err)
        return 1
    if posting is not None:
        cli.say(f"dark site written: release {posting.release_id}, {posting.size} bytes")
    return 0


def export_version(arguments: argparse.Namespace, cli: Cli) -> int:
    cli.say(dump_sections(cli.services.playbook_store.documents(arguments.version)).rstrip("\n"))
    return 0


def list_versions(arguments: argparse.Namespace, cli: Cli) -> int:
    store = cli.services.playbook_store
    current = store.current_version()
    for row in store.versions():
        marker = "*" if current and row["version"] == current[0] else " "
        summary = row["summary"]
        counts = ", ".join(f"{summary[name]} {name}" for name in COUNTED if name in summary)
        cli.say(
            f"{marker} v{row['version']:<4} {row['applied_at'][:19]}  {row['digest'][:12]}  "
            + counts
        )
    return 0


def report(problems: PolicyErrors, cli: Cli, what: str) -> None:
    for error in problems.errors:
        print(error, file=cli.err)
    print(f"tocsin: {len(problems.errors)} error(s)" + (f"; {what}" if what else ""), file=cli.err)


def _checked(directory: Path, cli: Cli, what: str) -> PolicyDocuments | None:
    try:
        documents = read_policy_dir(directory)
        documents.validate()
    except PolicyErrors as problems:
        report(problems, cli, what)
        return None
    return documents
