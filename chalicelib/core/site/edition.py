"""Publishing the dark site: read what it shows, add the statement, render every page and
feed, and hand the whole release to the SitePublisher. Pure but for the ports.

    prepare() ─▶ the organisation's "no current incidents" site, only if none is live
    refresh() ─▶ the live site (or the prepared one) rendered again with new site settings
    post()    ─▶ status.json read back ─▶ + the statement ─▶ pages, feed.atom, status.json,
                 cap.xml ─▶ one release, written whole, then switched live ─▶ cache cleared

Two statements published at the same moment both read status.json; the switch writes it last
and only if it is still the one read, so one of them loses and starts again from the new one:

    A: read v1 ─ render v1+A ─ write pages ─ status.json if v1 ✔ (v2)
    B: read v1 ─ render v1+B ─ write pages ─────────────────────────── status.json if v1 ✘
    B: read v2 ─ render v2+B (A and B) ─ write pages ─ status.json if v2 ✔ (v3)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from chalicelib.core.errors import (
    InvalidPolicy,
    InvalidRequest,
    PermanentSendError,
    SendError,
    TransientSendError,
)
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
from chalicelib.core.site.ports import (
    LiveSite,
    SiteCache,
    SiteChanged,
    SiteFile,
    SitePosting,
    SitePublisher,
    SiteRelease,
)

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
CAP = "application/xml; charset=utf-8"  # CAP has no registered media type of its own
ATTEMPTS = 5  # reads of the live site before giving up: each loss means another went live


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
    def __init__(self, publisher: SitePublisher, cache: SiteCache | None = None) -> None:
        self._publisher = publisher
        self._cache = cache  # CloudFront when deployed; None where nothing caches the site

    def state(self) -> SiteState:
        return _state(self._publisher.current())

    def prepare(self, settings: SiteSettings, now: datetime) -> SitePosting | None:
        """The dark site, before any crisis; None when a site is live already (kept as is)."""
        return self._update(settings, now, lambda live, state: None if live else state)

    def refresh(self, settings: SiteSettings, now: datetime) -> SitePosting | None:
        """The live site (or the prepared one) rendered again with ``settings``."""
        return self._update(settings, now, lambda live, state: state)

    def post(
        self,
        settings: SiteSettings,
        incident: SiteIncident,
        statement: PostedStatement,
        now: datetime,
    ) -> SitePosting:
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
        posting = self._update(
            settings, now, lambda live, state: with_statement(state, incident, statement)
        )
        if posting is None:  # never: the change above always gives a state to write
            raise PermanentSendError("site_unchanged", "the site was not written")
        return posting

    def _update(
        self,
        settings: SiteSettings,
        now: datetime,
        change: Callable[[bool, SiteState], SiteState | None],
    ) -> SitePosting | None:
        """Read, change, write whole and switch only if nobody switched meanwhile; else again.
        After a lost switch the site is always written again (the loser's pages went out)."""
        lost = False
        for _ in range(ATTEMPTS):
            live = self._publisher.current()
            changed = change(live is not None and not lost, _state(live))
            if changed is None:
                return None
            release = build_release(settings, changed, now)
            try:
                self._publisher.publish(release, None if live is None else live.tag)
            except SiteChanged:
                lost = True
                continue
            return SitePosting(release.release_id, release.size, self._clear(release))
        raise TransientSendError(
            "site_busy", f"the site changed {ATTEMPTS} times while this was written; publish again"
        )

    def _clear(self, release: SiteRelease) -> bool:
        if self._cache is None:
            return True  # nothing caches it: readers see it now
        paths = sorted({f"/{path}" for path in release.files} | _folders(release))
        try:
            self._cache.invalidate(paths, release.release_id)
        except SendError:
            return False  # it is live; CloudFront serves it once its 30 s cache time passes
        return True


def _folders(release: SiteRelease) -> set[str]:
    """``/`` and ``/da/``: readers ask for the folder, CloudFront caches what it was asked."""
    return {
        "/" + path.removesuffix("index.html")
        for path in release.files
        if path.endswith("index.html")
    }


def _state(live: LiveSite | None) -> SiteState:
    if live is None:
        return SiteState()
    try:
        return state_from_document(live.document)
    except InvalidRequest as error:
        raise PermanentSendError("site_unreadable", error.message) from None
