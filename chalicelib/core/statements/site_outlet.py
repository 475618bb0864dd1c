"""The dark site as an audience's outlet (``{site: public}``): a published statement is put on
the site in the call that publishes it, exactly as approved. Pure but for the ports.

This runs where the site may be written (deployed: the publish_site function, whose role alone
may write the site's bucket). It is told only which statement to post, and reads the statement
itself: nothing that is not a published statement of an audience with a site outlet, as it was
approved, can be put on the site through it, whoever asks.
"""

from __future__ import annotations

from chalicelib.core.errors import PermanentSendError
from chalicelib.core.playbook.audiences import OutletKind
from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, IncidentStore
from chalicelib.core.site.contents import PostedStatement, SiteIncident
from chalicelib.core.site.edition import SiteEditor
from chalicelib.core.site.ports import SitePosting
from chalicelib.core.statements.ports import StatementState, StatementStore


class SiteOutlet:
    """The in-process SitePoster: the publish_site function's, and the local stack's."""

    def __init__(
        self,
        editor: SiteEditor,
        statements: StatementStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        clock: Clock,
    ) -> None:
        self._editor = editor
        self._statements = statements
        self._incidents = incidents
        self._playbooks = playbooks
        self._clock = clock

    def post(self, incident_id: str, statement_id: str) -> SitePosting:
        statement = self._statements.get(incident_id, statement_id)
        incident = self._incidents.get(incident_id)
        if statement is None or incident is None:
            raise PermanentSendError("not_found", f"no statement {statement_id} of {incident_id}")
        if statement.state is not StatementState.PUBLISHED:
            raise PermanentSendError(
                "not_published",
                f"statement {statement_id} is {statement.state.value}: only published "
                "statements are put on the site",
            )
        playbook = self._playbooks.load_version(incident.playbook_version)
        audience = playbook.audiences.get(statement.audience)
        if audience is None or not any(o.kind is OutletKind.SITE for o in audience.outlets):
            raise PermanentSendError(
                "not_public", f"audience {statement.audience!r} has no site outlet"
            )
        now = self._clock.now()
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
        return self._editor.post(self._settings(), shown, posted, now)

    def refresh(self, version: int) -> SitePosting | None:
        settings = self._playbooks.load_version(version).site
        if settings is None:
            return None
        return self._editor.refresh(settings, self._clock.now())

    def _settings(self) -> SiteSettings:
        settings = self._playbooks.load().site
        if settings is None:
            raise PermanentSendError("not_configured", "the playbook has no site settings")
        return settings
