"""The dark site's settings: the ``site`` document of the playbook's ``settings`` section
(policies/site.yaml). Pure.

    settings:
      - id: site
        organisation: Example Utility
        base_url: https://status.example.com/     # where the site is served (https)
        timezone: Europe/Copenhagen               # times on the site, with their UTC offset
        languages:                                # the first is the default (index.html)
          en: {language: English, title: ..., no_incidents: ..., current: ..., history: ...,
               past: ..., exercise: ..., published: ..., feeds: ...}

Every text is shown escaped: markup in it is refused here rather than shown as code. Every
language gives every text (a missing translation is an error, never an English fallback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import Collector, read_object, read_string, read_timezone
from chalicelib.core.playbook.audiences import Audience, OutletKind, StatementKind
from chalicelib.core.wording.statement_text import SAMPLE_VARIABLES, render_statement
from chalicelib.core.wording.templates import LANGUAGE_TAG

# What every language of the site says (the page's own words, not statements).
SITE_ID = "site"  # its document in the playbook's settings section

SITE_TEXTS = (
    "language",  # the language's own name, in the language menu: English, Dansk
    "title",  # the page's title and heading
    "no_incidents",  # the prepared "no current incidents" text
    "current",  # heading over the current incident
    "history",  # heading over its statements, newest first
    "past",  # heading over incidents that are over
    "exercise",  # the banner on an exercise: "this is an exercise"
    "published",  # before a statement's time: "Published"
    "feeds",  # heading over the feeds' links
)
MAX_SITE_TEXT = 500
# The page's limits for a statement (tighter than a statement's own: a page is read on a phone).
MAX_SITE_SUBJECT = 140
MAX_SITE_BODY = 4000
_MARKUP = re.compile(r"<\s*[/!?a-zA-Z]|&[#a-zA-Z0-9]+;")
_SAFE_URL = re.compile(
    r"(https://[a-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:\d+)?(/[A-Za-z0-9._~/-]*)?"
)


@dataclass(frozen=True)
class SiteSettings:
    organisation: str
    base_url: str  # ends with "/"
    timezone: str
    texts: Mapping[str, Mapping[str, str]] = field(hash=False)  # language -> text id -> text

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    @property
    def default_language(self) -> str:
        return self.languages[0]


def check_site_audiences(
    site: SiteSettings | None, audiences: Sequence[Audience]
) -> list[InvalidPolicy]:
    """An audience with the site as a channel needs the site's settings, in its languages,
    and templates that render plain text within the page's limits."""
    errors: list[InvalidPolicy] = []
    for index, audience in enumerate(audiences):
        if not any(outlet.kind is OutletKind.SITE for outlet in audience.outlets):
            continue
        path = f"audiences[{index}]"
        if site is None:
            errors.append(InvalidPolicy(f"{path}.channels", "names the site: settings has no site"))
            continue
        for language in audience.languages:
            if language not in site.texts:
                errors.append(
                    InvalidPolicy(
                        f"{path}.statements.{language}",
                        f"missing translation: the site has no {language!r} texts",
                    )
                )
            for kind in StatementKind:
                template = audience.templates[language][kind]
                subject, body = render_statement(template.subject, template.body, SAMPLE_VARIABLES)
                try:
                    check_statement_fits(subject, body, f"{path}.statements.{language}.{kind}")
                except InvalidPolicy as error:
                    errors.append(error)
    return errors


def parse_site(document: Any, path: str) -> SiteSettings:
    fields = read_object(
        document,
        path,
        required={"id", "organisation", "base_url", "languages"},
        optional={"timezone", "description"},
    )
    found = Collector()
    organisation = found.read(
        lambda: read_plain_text(fields["organisation"], f"{path}.organisation"), ""
    )
    base_url = found.read(lambda: read_site_url(fields["base_url"], f"{path}.base_url"), "/")
    timezone = found.read(
        lambda: read_timezone(fields.get("timezone", "UTC"), f"{path}.timezone"), "UTC"
    )
    no_texts: dict[str, dict[str, str]] = {}
    texts = found.read(lambda: _texts(fields["languages"], f"{path}.languages"), no_texts)
    found.check()
    return SiteSettings(organisation, base_url, timezone, texts)


def read_site_url(value: Any, path: str) -> str:
    """An https address (http only on this machine), without query, fragment or markup."""
    url = read_string(value, path)
    if not _SAFE_URL.fullmatch(url):
        raise InvalidPolicy(
            path, "must be an https:// address of plain path characters (no query or fragment)"
        )
    return url if url.endswith("/") else url + "/"


def read_plain_text(value: Any, path: str) -> str:
    """Text the site shows escaped: markup or entities in it would show as code, so refuse."""
    text = read_string(value, path)
    if _MARKUP.search(text):
        raise InvalidPolicy(path, "contains markup; the site shows text only (it escapes it)")
    if len(text) > MAX_SITE_TEXT:
        raise InvalidPolicy(path, f"is longer than {MAX_SITE_TEXT} characters")
    return text


def check_statement_fits(subject: str, body: str, path: str) -> None:
    """A statement the site will show: plain text within the page's limits."""
    for name, text, limit in (
        ("subject", subject, MAX_SITE_SUBJECT),
        ("body", body, MAX_SITE_BODY),
    ):
        if len(text) > limit:
            raise InvalidPolicy(f"{path}.{name}", f"renders longer than the site's {limit}")
        if _MARKUP.search(text):
            raise InvalidPolicy(f"{path}.{name}", "renders markup; the site shows text only")


def _texts(value: Any, path: str) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidPolicy(path, "must map languages (BCP 47) to the site's texts")
    found = Collector()
    languages: dict[str, dict[str, str]] = {}
    for language, texts in value.items():
        where = f"{path}.{language}"
        if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language):
            found.errors.append(InvalidPolicy(where, "is not a BCP 47 language tag"))
            continue
        if not isinstance(texts, Mapping):
            found.errors.append(InvalidPolicy(where, "must be a mapping"))
            continue
        for missing in (name for name in SITE_TEXTS if name not in texts):
            found.errors.append(InvalidPolicy(f"{where}.{missing}", "missing translation"))
        for unknown in sorted(set(texts) - set(SITE_TEXTS)):
            found.errors.append(InvalidPolicy(f"{where}.{unknown}", "unknown site text"))
        languages[language] = {
            name: found.read(partial(read_plain_text, texts[name], f"{where}.{name}"), "")
            for name in SITE_TEXTS
            if name in texts
        }
    found.check()
    return languages
