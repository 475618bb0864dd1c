"""The dark site as an audience's outlet (``{site: public}``): a published statement is put on
the site in the call that publishes it, exactly as approved. Pure but for the SitePublisher."""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.errors import PermanentSendError
from chalicelib.core.model import Incident
from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.site.contents import PostedStatement, SiteIncident
from chalicelib.core.site.edition import SiteEditor
from chalicelib.core.site.ports import SiteRelease
from chalicelib.core.statements.ports import Statement


def post_to_site(
    editor: SiteEditor | None,
    settings: SiteSettings | None,
    incident: Incident,
    statement: Statement,
    now: datetime,
) -> SiteRelease:
    if editor is None:
        raise PermanentSendError("not_configured", "no dark site here (TOCSIN_SITE_BUCKET)")
    if settings is None:
        raise PermanentSendError("not_configured", "the playbook has no site settings")
    published_at = statement.settled_at or now
    posted = PostedStatement(
        statement_id=statement.statement_id,
        language=statement.language,
        kind=statement.kind.value,
        subject=statement.subject,
        body=statement.body,
        published_at=published_at,
    )
    shown = SiteIncident(
        incident_id=incident.incident_id,
        severity=incident.severity.value,
        exercise=incident.is_exercise,
        opened_at=published_at,
    )
    return editor.post(settings, shown, posted, now)
