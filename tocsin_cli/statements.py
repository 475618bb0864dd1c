"""``tocsin statement list|show|draft|edit|approve|reject|publish``: statements to an incident's
audiences, through the HTTP API (``--api``) with your personal key (``--key``, better
``TOCSIN_KEY``): an approval is yours only when made with your own key.

    tocsin statement list INCIDENT
    tocsin statement show INCIDENT STATEMENT
    tocsin statement draft INCIDENT --audience staff [--kind update] [--language da]
                           [--subject S] [--body TEXT | --body-file FILE] [--replaces STATEMENT]
    tocsin statement edit INCIDENT STATEMENT [--subject S] [--body TEXT | --body-file FILE]
    tocsin statement approve INCIDENT STATEMENT   (shows the text, approves exactly that text)
    tocsin statement reject INCIDENT STATEMENT [--reason TEXT]
    tocsin statement publish INCIDENT STATEMENT
    tocsin channels check   (each Slack, Teams and Mastodon channel of the playbook: does its
                            token or webhook still work? Posts nothing; exit 1 if one fails)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalicelib.core.errors import InvalidInput
from tocsin_cli.cli import Cli
from tocsin_cli.http import KEY_VARIABLE, ApiUnreachable, TocsinApi


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    key = argparse.ArgumentParser(add_help=False)
    key.add_argument("--key", help=f"your personal API key (better: env {KEY_VARIABLE})")
    group = commands.add_parser(
        "statement",
        help="statements to audiences: list, draft, approve (two people), publish",
        parents=[common],
    ).add_subparsers(dest="action", required=True)
    listing = group.add_parser("list", help="an incident's statements", parents=[common, key])
    listing.add_argument("incident_id")
    listing.set_defaults(run=list_statements)
    for action, text, run in (
        ("show", "one statement's text and approvals", show),
        ("approve", "approve the text shown (counts once per person)", approve),
        ("publish", "send an approved statement through its audience's channels", publish),
        ("reject", "reject it: nothing of it is ever sent", reject),
        ("edit", "change a draft nobody has approved yet", edit),
    ):
        command = group.add_parser(action, help=text, parents=[common, key])
        command.add_argument("incident_id")
        command.add_argument("statement_id")
        if action == "reject":
            command.add_argument("--reason", default="")
        if action == "edit":
            _words(command)
        command.set_defaults(run=run)
    draft_command = group.add_parser(
        "draft", help="a new draft, from the template or your words", parents=[common, key]
    )
    draft_command.add_argument("incident_id")
    draft_command.add_argument("--audience")
    draft_command.add_argument("--language")
    draft_command.add_argument("--kind", choices=["initial", "update", "closing"])
    draft_command.add_argument("--replaces", metavar="STATEMENT")
    _words(draft_command)
    draft_command.set_defaults(run=draft)
    channels = commands.add_parser(
        "channels", help="the playbook's Slack, Teams and Mastodon channels", parents=[common]
    ).add_subparsers(dest="action", required=True)
    channels.add_parser(
        "check", help="does each token or webhook still work (posts nothing)", parents=[common, key]
    ).set_defaults(run=check_channels)


def _words(command: argparse.ArgumentParser) -> None:
    command.add_argument("--subject")
    words = command.add_mutually_exclusive_group()
    words.add_argument("--body")
    words.add_argument("--body-file", type=Path)


def list_statements(arguments: argparse.Namespace, cli: Cli) -> int:
    answer = _api(arguments, cli).get(_path(arguments.incident_id))
    found = answer["statements"]
    if not found:
        cli.say("no statements")
        return 0
    cli.say(f"{'STATEMENT':<20} {'KIND':<8} {'STATE':<11} {'APPROVALS':<22} SUBJECT")
    for statement in found:
        cli.say(
            f"{statement['statement_id']:<20} {statement['kind']:<8} {statement['state']:<11} "
            f"{_approvals(statement):<22} {statement['subject']}"
        )
    return 0


def show(arguments: argparse.Namespace, cli: Cli) -> int:
    statement = _one(arguments, cli)
    for line in _described(statement):
        cli.say(line)
    return 0


def draft(arguments: argparse.Namespace, cli: Cli) -> int:
    document = {
        name: value
        for name, value in (
            ("audience", arguments.audience),
            ("language", arguments.language),
            ("kind", arguments.kind),
            ("replaces", arguments.replaces),
            ("subject", arguments.subject),
            ("body", _body(arguments)),
        )
        if value is not None
    }
    created = _api(arguments, cli).post(_path(arguments.incident_id), document)
    for line in _described(created):
        cli.say(line)
    return 0


def edit(arguments: argparse.Namespace, cli: Cli) -> int:
    document = {"subject": arguments.subject, "body": _body(arguments)}
    path = _path(arguments.incident_id, arguments.statement_id)
    edited = _api(arguments, cli).request(
        "PUT", path, {k: v for k, v in document.items() if v is not None}
    )
    for line in _described(edited):
        cli.say(line)
    return 0


def approve(arguments: argparse.Namespace, cli: Cli) -> int:
    """Shows the text, then approves that text (by its digest): never one changed meanwhile."""
    statement = _one(arguments, cli)
    for line in _described(statement):
        cli.say(line)
    path = _path(arguments.incident_id, arguments.statement_id, "approve")
    approved = _api(arguments, cli).post(path, {"digest": statement["digest"]})
    cli.say(f"{approved['statement_id']}: approved ({_approvals(approved)}): {approved['state']}")
    return 0


def reject(arguments: argparse.Namespace, cli: Cli) -> int:
    path = _path(arguments.incident_id, arguments.statement_id, "reject")
    rejected = _api(arguments, cli).post(path, {"reason": arguments.reason})
    cli.say(f"{rejected['statement_id']}: rejected; nothing of it will be sent")
    return 0


def publish(arguments: argparse.Namespace, cli: Cli) -> int:
    path = _path(arguments.incident_id, arguments.statement_id, "publish")
    published = _api(arguments, cli).post(path)
    sent = ", ".join(published["sent"]) or "nothing new"
    cli.say(f"{published['statement_id']}: published to {published['audience']}: sent {sent}")
    if published["failed"]:
        cli.say(f"failed: {', '.join(published['failed'])}; publish again to retry them")
        return 1
    return 0


def check_channels(arguments: argparse.Namespace, cli: Cli) -> int:
    answer = _api(arguments, cli).get("/v1/channels/check")
    if not answer["channels"]:
        cli.say("no Slack, Teams or Mastodon channels in the playbook")
        return 0
    for channel in answer["channels"]:
        state = "ok" if channel["ok"] else "FAILING"
        how = "checked with the platform" if channel["verified"] else "not posted to"
        cli.say(f"{channel['outlet']:<45} {state:<8} {channel['detail']} ({how})")
    return 0 if answer["ok"] else 1


def _one(arguments: argparse.Namespace, cli: Cli) -> dict[str, Any]:
    answer = _api(arguments, cli).get(_path(arguments.incident_id))
    for statement in answer["statements"]:
        if statement["statement_id"] == arguments.statement_id:
            return dict(statement)
    raise InvalidInput(
        f"incident {arguments.incident_id} has no statement {arguments.statement_id}"
    )


def _described(statement: dict[str, Any]) -> list[str]:
    return [
        f"{statement['statement_id']} ({statement['kind']} to {statement['audience']}, "
        f"{statement['language']}): {statement['state']}, {_approvals(statement)}, "
        f"digest {statement['digest']}",
        f"Subject: {statement['subject']}",
        "",
        *statement["body"].rstrip("\n").splitlines(),
        "",
    ]


def _approvals(statement: dict[str, Any]) -> str:
    names = ", ".join(a["contact_id"] for a in statement["approvals"])
    count = f"{len(statement['approvals'])}/{statement['approvals_required']}"
    return f"{count} approved" + (f" ({names})" if names else "")


def _body(arguments: argparse.Namespace) -> str | None:
    if arguments.body_file is not None:
        try:
            return str(arguments.body_file.read_text(encoding="utf-8"))
        except OSError as error:
            raise InvalidInput(f"--body-file: {error.strerror}: {arguments.body_file}") from None
    return str(arguments.body) if arguments.body is not None else None


def _path(incident_id: str, statement_id: str | None = None, action: str | None = None) -> str:
    path = f"/v1/incidents/{quote(incident_id, safe='')}/statements"
    if statement_id is not None:
        path += f"/{quote(statement_id, safe='')}"
    return path + (f"/{action}" if action else "")


def _api(arguments: argparse.Namespace, cli: Cli) -> _Api:
    key = arguments.key or os.environ.get(KEY_VARIABLE)
    if not key:
        raise InvalidInput(
            f"statements need your personal key: --key, or env {KEY_VARIABLE} "
            "(tocsin keys create NAME --scope statements --scope read --contact YOU)"
        )
    if cli.target.api is None:
        raise InvalidInput(f"--api URL (env TOCSIN_API): where stage {cli.target.stage}'s API is")
    return _Api(TocsinApi(cli.target.api, key, cli.transport), cli)


class _Api:
    """The API client, saying where the stack is when it cannot be reached."""

    def __init__(self, api: TocsinApi, cli: Cli) -> None:
        self._api = api
        self._cli = cli

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, document: Any = None) -> Any:
        return self.request("POST", path, document)

    def request(self, method: str, path: str, document: Any = None) -> Any:
        try:
            return self._api.request(method, path, document)
        except ApiUnreachable as unreachable:
            raise ApiUnreachable(f"{unreachable}; {self._cli.target.unreachable_hint()}") from None
