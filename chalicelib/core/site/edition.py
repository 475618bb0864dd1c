"""Publishing the dark site: read what it shows, add the statement, render every page and
feed, and hand the whole release to the SitePublisher. Pure but for the port.

    prepare() ─▶ the organisation's "no current incidents" site, only if none is live
    post()    ─▶ status.json read back ─▶ + the statement ─▶ pages, feed.atom, status.json,
                 cap.xml ─▶ one release, written whole, then switched live
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from chalicelib.core.errors import InvalidPolicy, InvalidRequest, PermanentSendError
from chalicelib.core.playbook.site import SiteSettings, check_statement_fits
from chalicelib.core.site.contents import (
    PostedStatement,
    SiteIncident,
    SiteState,
    state_from_document,
    status_document,
    with_statement,
)
from chalicelib.core.site.feeds import atom_feed, cap_alert
from chalicelib.core.site.pages import render_pages
from chalicelib.core.site.ports import SiteFile, SitePublisher, SiteRelease

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
CAP = "application/xml; charset=utf-8"  # CAP has no registered media type of its own


def build_release(settings: SiteSettings, state: SiteState, now: datetime) -> SiteRelease:
    pages = render_pages(settings, state)
    files = {path: SiteFile(html.encode(), HTML) for path, html in pages.items()}
    status = status_document(state, settings.organisation, settings.timezone)
    files["status.json"] = SiteFile(
        (json.dumps(status, ensure_ascii=False, indent=2) + "\n").encode(), JSON
    )
    files["feed.atom"] = SiteFile(atom_feed(settings, state, now), ATOM)
    files["cap.xml"] = SiteFile(cap_alert(settings, state, now), CAP)
    digest = hashlib.sha256(files["status.json"].body).hexdigest()[:12]
    return SiteRelease(f"{now:%Y%m%dT%H%M%S%f}Z-{digest}", files)


class SiteEditor:
    def __init__(self, publisher: SitePublisher) -> None:
        self._publisher = publisher

    def state(self) -> SiteState:
        document = self._publisher.current()
        if document is None:
            return SiteState()
        try:
            return state_from_document(document)
        except InvalidRequest as error:
            raise PermanentSendError("site_unreadable", error.message) from None

    def prepare(self, settings: SiteSettings, now: datetime) -> SiteRelease | None:
        """The dark site, before any crisis; None when a site is live already (kept as is)."""
        if self._publisher.current() is not None:
            return None
        release = build_release(settings, SiteState(), now)
        self._publisher.publish(release)
        return release

    def post(
        self,
        settings: SiteSettings,
        incident: SiteIncident,
        statement: PostedStatement,
        now: datetime,
    ) -> SiteRelease:
        """The site with ``statement`` on it, live. A statement the page cannot show as it was
        approved (too long, markup in it) is refused, never cut or shown as code."""
        if statement.language not in settings.texts:
            raise PermanentSendError(
                "missing_translation", f"the site has no {statement.language!r} texts"
            )
        try:
            check_statement_fits(statement.subject, statement.body, statement.statement_id)
        except InvalidPolicy as error:
            raise PermanentSendError("unfit_for_site", str(error)) from None
        release = build_release(settings, with_statement(self.state(), incident, statement), now)
        self._publisher.publish(release)
        return release
