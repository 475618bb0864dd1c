"""The dark site's feeds beside its pages: Atom (feedgen), and CAP 1.2 (the standard's own
elements, written with the standard library). status.json is state.status_document. Pure.

cap.xml is one CAP alert: the latest statements (one ``info`` per language) of the incident
updated last; ``msgType`` Alert for its first statement, Update after, with ``references`` to
the alerts before it; ``status`` Exercise for an exercise. A dark site's cap.xml has no
``info`` (nothing to act on), only a ``note`` with the "no current incidents" text.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET  # writing our own XML only
from zoneinfo import ZoneInfo

from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.site.contents import CLOSING, PostedStatement, SiteIncident, SiteState
from chalicelib.core.site.pages import page_path

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
_CAP_SEVERITY = {
    "critical": "Extreme",
    "high": "Severe",
    "medium": "Moderate",
    "low": "Minor",
    "info": "Minor",
}


def atom_feed(settings: SiteSettings, state: SiteState, now: datetime) -> bytes:
    # Imported here: only publishing a site needs it (and lxml), not importing the app.
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    feed = FeedGenerator()
    feed.id(settings.base_url)
    feed.title(settings.texts[settings.default_language]["title"])
    feed.author({"name": settings.organisation})
    feed.link(href=settings.base_url, rel="alternate")
    feed.link(href=f"{settings.base_url}feed.atom", rel="self")
    feed.language(settings.default_language)
    feed.updated(state.updated_at or now)
    statements = [(i, s) for i in state.shown for s in i.statements]
    statements.sort(key=lambda pair: pair[1].published_at)  # feedgen lists the last added first
    for incident, statement in statements:
        entry = feed.add_entry()
        anchor = f"{incident.incident_id}-{statement.statement_id}"
        entry.id(f"{settings.base_url}{page_path(settings, statement.language)}#{anchor}")
        entry.link(href=f"{settings.base_url}{page_path(settings, statement.language)}#{anchor}")
        marker = settings.texts[statement.language]["exercise"] if incident.exercise else ""
        entry.title(f"[{marker}] {statement.subject}" if marker else statement.subject)
        entry.content(statement.body, type="text")
        entry.published(statement.published_at)
        entry.updated(statement.published_at)
        entry.category(term=statement.kind)
        if incident.exercise:
            entry.category(term="exercise")
    return bytes(feed.atom_str(pretty=True))


def cap_alert(settings: SiteSettings, state: SiteState, now: datetime) -> bytes:
    sender = urlsplit(settings.base_url).hostname or "localhost"
    incident = max(state.shown, key=lambda i: i.updated_at, default=None)
    alert = ET.Element("alert", xmlns=CAP_NAMESPACE)
    if incident is None or not incident.statements:
        _fill(alert, f"{sender}-dark", sender, cap_time(now, settings.timezone), "Actual", "Alert")
        _text(alert, "scope", "Public")
        _text(alert, "note", settings.texts[settings.default_language]["no_incidents"])
        return _xml(alert)
    newest = incident.statements[0]
    earlier = [s for s in reversed(incident.statements) if s.published_at < newest.published_at]
    _fill(
        alert,
        _identifier(sender, incident, newest),
        sender,
        cap_time(newest.published_at, settings.timezone),
        "Exercise" if incident.exercise else "Actual",
        "Update" if earlier else "Alert",
    )
    _text(alert, "scope", "Public")
    if earlier:
        _text(
            alert,
            "references",
            " ".join(
                f"{sender},{_identifier(sender, incident, s)},"
                f"{cap_time(s.published_at, settings.timezone)}"
                for s in earlier
            ),
        )
    for language in settings.languages:
        latest = next(iter(incident.in_language(language)), None)
        if latest is not None:
            _info(alert, settings, incident, latest)
    return _xml(alert)


def cap_time(at: datetime, timezone: str) -> str:
    """CAP's dateTime: seconds, an offset, and ``-00:00`` for UTC as the standard asks."""
    text = at.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()
    return text.removesuffix("+00:00") + "-00:00" if text.endswith("+00:00") else text


def _info(
    alert: ET.Element, settings: SiteSettings, incident: SiteIncident, statement: PostedStatement
) -> None:
    info = ET.SubElement(alert, "info")
    closing = statement.kind == CLOSING or not incident.is_open
    _text(info, "language", statement.language)
    _text(info, "category", "Other")
    _text(info, "event", statement.subject)
    if closing:
        _text(info, "responseType", "AllClear")
    _text(info, "urgency", "Past" if closing else "Immediate")
    _text(info, "severity", "Minor" if closing else _CAP_SEVERITY.get(incident.severity, "Unknown"))
    _text(info, "certainty", "Observed")
    _text(info, "senderName", settings.organisation)
    _text(info, "headline", statement.subject)
    _text(info, "description", statement.body.strip())
    anchor = f"{incident.incident_id}-{statement.statement_id}"
    _text(info, "web", f"{settings.base_url}{page_path(settings, statement.language)}#{anchor}")


def _fill(
    alert: ET.Element, identifier: str, sender: str, sent: str, status: str, kind: str
) -> None:
    for name, value in (
        ("identifier", identifier),
        ("sender", sender),
        ("sent", sent),
        ("status", status),
        ("msgType", kind),
    ):
        _text(alert, name, value)


def _identifier(sender: str, incident: SiteIncident, statement: PostedStatement) -> str:
    return f"{sender}-{incident.incident_id}-{statement.statement_id}"


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, name).text = value


def _xml(alert: ET.Element) -> bytes:
    ET.indent(alert)
    return bytes(ET.tostring(alert, encoding="utf-8", xml_declaration=True))
