"""The dark site's pages: one per language, plain HTML that needs no JavaScript. Pure.

Rendered by Jinja2 with autoescape on and undefined names an error: statements and the
playbook's texts are always text, never markup. ``index.html`` is the default language's page;
every other language has ``<language>/index.html``; all link to the feeds beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.site.contents import PostedStatement, SiteIncident, SiteState

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ShownStatement:
    statement_id: str
    subject: str
    body: str
    iso: str
    local: str  # on the organisation's wall clock, its UTC offset stated


@dataclass(frozen=True)
class ShownIncident:
    incident_id: str
    exercise: bool
    statements: tuple[ShownStatement, ...]


@dataclass(frozen=True)
class LanguageLink:
    language: str
    name: str
    path: str


def page_path(settings: SiteSettings, language: str) -> str:
    return "index.html" if language == settings.default_language else f"{language}/index.html"


def local_time(at: datetime, timezone: str) -> str:
    """``2026-12-02 09:41 (UTC+01:00)``: the same in every language, its offset stated."""
    here = at.astimezone(ZoneInfo(timezone))
    offset = here.strftime("%z")
    return f"{here:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def render_pages(settings: SiteSettings, state: SiteState) -> dict[str, str]:
    """Every language's page, by path."""
    template = _environment().get_template("page.html")
    links = [
        LanguageLink(language, settings.texts[language]["language"], page_path(settings, language))
        for language in settings.languages
    ]
    pages = {}
    for language in settings.languages:
        path = page_path(settings, language)
        pages[path] = template.render(
            language=language,
            text=settings.texts[language],
            organisation=settings.organisation,
            root="../" * path.count("/"),
            languages=links,
            exercise=state.has_exercise,
            incidents=[_shown(i, language, settings.timezone) for i in state.incidents],
            past=[_shown(i, language, settings.timezone) for i in state.past],
        )
    return pages


def _shown(incident: SiteIncident, language: str, timezone: str) -> ShownIncident:
    return ShownIncident(
        incident.incident_id,
        incident.exercise,
        tuple(_statement(s, timezone) for s in incident.in_language(language)),
    )


def _statement(statement: PostedStatement, timezone: str) -> ShownStatement:
    return ShownStatement(
        statement.statement_id,
        statement.subject,
        statement.body.strip(),
        statement.published_at.isoformat(),
        local_time(statement.published_at, timezone),
    )


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
