"""Audiences and the statements a plan owes them: who hears what, through which channels, in
which languages, approved by how many people. Pure.

    audiences:
      - id: staff
        title: Everyone who works here
        channels: [{topic: stakeholders}]          # the stakeholder SNS topic; {site: public}
                                                   # also email: <list>, and slack, teams or
                                                   # mastodon: <Secrets Manager secret name>
        timezone: Europe/Copenhagen                # times in statements (default UTC)
        update_every: 1h                           # the next update promised (default 1h)
        statements:                                # per language: initial, update, closing
          en: {initial: {subject: ..., body: ...}, update: {...}, closing: {...}}

    plans:
      - id: crisis-cell
        statements: {audiences: [staff], roles: [communications, executive], approvals: 2}

An audience is a group, never a person: its email channel names distribution lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    read_count,
    read_duration,
    read_identifier,
    read_known,
    read_list,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.playbook.platforms import Platform, post_text, too_long
from chalicelib.core.wording.statement_text import MAX_BODY, SAMPLE_VARIABLES, render_statement
from chalicelib.core.wording.templates import LANGUAGE_TAG

DEFAULT_APPROVALS = 2
MAX_APPROVALS = 5
STAKEHOLDER_TOPIC = "stakeholders"  # the deployment's own topic (TOCSIN_STAKEHOLDERS_TOPIC_ARN)
PUBLIC_SITE = "public"  # the deployment's dark site (TOCSIN_SITE_BUCKET)
_LIST_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Secrets Manager's names, under tocsin/ (the deployment grants reading tocsin/* only).
_SECRET_NAME = re.compile(r"tocsin/[A-Za-z0-9/_+=.@-]{1,505}")


class StatementKind(StrEnum):
    INITIAL = "initial"  # the holding statement: what is verified, what is done, next update
    UPDATE = "update"
    CLOSING = "closing"


class OutletKind(StrEnum):
    TOPIC = "topic"  # an SNS topic its subscribers follow
    EMAIL = "email"  # a distribution list's address
    SITE = "site"  # the dark site (settings: site), written to its own bucket
    SLACK = "slack"  # a Slack incoming webhook: the secret holding its URL
    TEAMS = "teams"  # a Microsoft Teams Workflows webhook: the secret holding its URL
    MASTODON = "mastodon"  # a Mastodon account: the secret holding its instance and token

    @property
    def platform(self) -> Platform | None:
        """The chat or social platform it posts to; None for the AWS channels and the site."""
        aws_or_site = (OutletKind.TOPIC, OutletKind.EMAIL, OutletKind.SITE)
        return None if self in aws_or_site else Platform(self.value)


@dataclass(frozen=True)
class Outlet:
    """One way a statement reaches an audience: ``topic:stakeholders``,
    ``email:customers@example.com``."""

    kind: OutletKind
    address: str

    @property
    def name(self) -> str:
        return f"{self.kind.value}:{self.address}"


@dataclass(frozen=True)
class StatementTemplate:
    subject: str
    body: str


@dataclass(frozen=True)
class Audience:
    audience_id: str
    title: str
    outlets: tuple[Outlet, ...]
    templates: Mapping[str, Mapping[StatementKind, StatementTemplate]] = field(hash=False)
    timezone: str = "UTC"
    update_every: timedelta = timedelta(hours=1)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)


@dataclass(frozen=True)
class StatementPolicy:
    """Which audiences a plan speaks to, and who approves what it says: ``approvals`` distinct
    people holding one of ``roles``, each with their own credential."""

    audiences: tuple[str, ...]
    roles: tuple[str, ...]
    approvals: int = DEFAULT_APPROVALS


def parse_audience(document: Any, path: str) -> Audience:
    fields = read_object(
        document,
        path,
        required={"id", "title", "channels", "statements"},
        optional={"description", "timezone", "update_every"},
    )
    found = Collector()
    no_outlets: tuple[Outlet, ...] = ()
    no_templates: dict[str, dict[StatementKind, StatementTemplate]] = {}
    outlets = found.read(lambda: _outlets(fields["channels"], f"{path}.channels"), no_outlets)
    templates = found.read(
        lambda: _templates(fields["statements"], f"{path}.statements"), no_templates
    )
    audience = Audience(
        audience_id=found.read(lambda: read_identifier(fields["id"], f"{path}.id"), ""),
        title=found.read(lambda: read_string(fields["title"], f"{path}.title"), ""),
        outlets=outlets,
        templates=templates,
        timezone=found.read(
            lambda: read_timezone(fields.get("timezone", "UTC"), f"{path}.timezone"), "UTC"
        ),
        update_every=found.read(
            lambda: read_duration(fields.get("update_every", "1h"), f"{path}.update_every"),
            timedelta(hours=1),
        ),
    )
    found.check()
    _fits(audience, path)
    return audience


def _fits(audience: Audience, path: str) -> None:
    """Each template, rendered with sample values, fits each platform the audience posts to."""
    for outlet in audience.outlets:
        platform = outlet.kind.platform
        if platform is None:
            continue
        for language, kinds in audience.templates.items():
            for kind, template in kinds.items():
                subject, body = render_statement(template.subject, template.body, SAMPLE_VARIABLES)
                why = too_long(platform, post_text(subject, body))
                if why is not None:
                    raise InvalidPolicy(
                        f"{path}.statements.{language}.{kind.value}",
                        f"renders too long for {outlet.name}: it {why}",
                    )


def parse_statement_policy(
    document: Any, path: str, roles: Mapping[str, str], audience_ids: set[str]
) -> StatementPolicy:
    fields = read_object(document, path, required={"audiences", "roles"}, optional={"approvals"})
    audiences = tuple(
        read_known(each, f"{path}.audiences[{index}]", audience_ids, "audience")
        for index, each in enumerate(read_list(fields["audiences"], f"{path}.audiences"))
    )
    approvers = tuple(
        read_known(each, f"{path}.roles[{index}]", roles, "role")
        for index, each in enumerate(read_list(fields["roles"], f"{path}.roles"))
    )
    if not audiences:
        raise InvalidPolicy(f"{path}.audiences", "must name at least one audience")
    if not approvers:
        raise InvalidPolicy(f"{path}.roles", "must name at least one role")
    approvals = read_count(fields.get("approvals", DEFAULT_APPROVALS), f"{path}.approvals", 2)
    if approvals > MAX_APPROVALS:
        raise InvalidPolicy(f"{path}.approvals", f"must be at most {MAX_APPROVALS}")
    return StatementPolicy(audiences, approvers, approvals)


def _outlets(value: Any, path: str) -> tuple[Outlet, ...]:
    outlets: list[Outlet] = []
    for index, item in enumerate(read_list(value, path)):
        where = f"{path}[{index}]"
        kinds = {kind.value for kind in OutletKind}
        spec = read_object(item, where, required=set(), optional=kinds)
        if len(spec) != 1:
            raise InvalidPolicy(where, f"must give exactly one of {', '.join(sorted(kinds))}")
        [(key, value)] = spec.items()
        if key == OutletKind.SITE.value:
            if value != PUBLIC_SITE:
                raise InvalidPolicy(f"{where}.site", f"must be {PUBLIC_SITE!r} (the dark site)")
            outlets.append(Outlet(OutletKind.SITE, PUBLIC_SITE))
            continue
        if OutletKind(key).platform is not None:
            secret = read_string(value, f"{where}.{key}")
            if not _SECRET_NAME.fullmatch(secret):
                raise InvalidPolicy(
                    f"{where}.{key}", "must name a Secrets Manager secret under tocsin/"
                )
            outlets.append(Outlet(OutletKind(key), secret))
        elif "topic" in spec:
            if spec["topic"] != STAKEHOLDER_TOPIC:
                raise InvalidPolicy(
                    f"{where}.topic",
                    f"must be {STAKEHOLDER_TOPIC!r} (the deployment's stakeholder topic)",
                )
            outlets.append(Outlet(OutletKind.TOPIC, STAKEHOLDER_TOPIC))
        else:
            address = read_string(spec["email"], f"{where}.email")
            if not _LIST_ADDRESS.fullmatch(address):
                raise InvalidPolicy(f"{where}.email", "must be an email address (a list's)")
            outlets.append(Outlet(OutletKind.EMAIL, address.lower()))
    if not outlets:
        raise InvalidPolicy(path, "must name at least one channel")
    if len({outlet.name for outlet in outlets}) != len(outlets):
        raise InvalidPolicy(path, "names a channel twice")
    return tuple(outlets)


def _templates(value: Any, path: str) -> dict[str, dict[StatementKind, StatementTemplate]]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidPolicy(path, "must map languages (BCP 47) to statement templates")
    languages: dict[str, dict[StatementKind, StatementTemplate]] = {}
    for language, kinds in value.items():
        where = f"{path}.{language}"
        if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language):
            raise InvalidPolicy(where, "is not a BCP 47 language tag such as 'en' or 'zh-Hant'")
        spec = read_object(kinds, where, required={k.value for k in StatementKind}, optional=set())
        languages[language] = {
            kind: _template(spec[kind.value], f"{where}.{kind.value}") for kind in StatementKind
        }
    return languages


def _template(value: Any, path: str) -> StatementTemplate:
    from jinja2 import TemplateError, TemplateSyntaxError

    spec = read_object(value, path, required={"subject", "body"}, optional=set())
    template = StatementTemplate(
        read_string(spec["subject"], f"{path}.subject"), read_string(spec["body"], f"{path}.body")
    )
    try:
        _, body = render_statement(template.subject, template.body, SAMPLE_VARIABLES)
    except TemplateSyntaxError as error:
        raise InvalidPolicy(path, f"template line {error.lineno}: {error.message}") from None
    except TemplateError as error:
        raise InvalidPolicy(path, f"does not render: {error}") from None
    if len(body) > MAX_BODY:
        raise InvalidPolicy(f"{path}.body", f"renders longer than {MAX_BODY} characters")
    return template
