"""Publishing an approved statement through each outlet of its audience, each claimed once:
the AWS channels (the stakeholder topic, a distribution list), the dark site, and Slack, Teams
and Mastodon. A failed outlet is released for the next publish; a webhook whose answer was lost
keeps its claim (never posted twice). The desk decides; this sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.core.errors import (
    PermanentSendError,
    SendError,
    TransientError,
    TransientSendError,
)
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, TimelineEntry
from chalicelib.core.playbook.audiences import Audience, Outlet, OutletKind
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, IncidentStore
from chalicelib.core.site.ports import SitePoster
from chalicelib.core.statements import records
from chalicelib.core.statements.outlets import send_through
from chalicelib.core.statements.ports import SocialPoster, Statement, StatementStore
from chalicelib.core.statements.posting import post_statement


@dataclass
class Publication:
    statement: Statement
    sent: list[str] = field(default_factory=list)  # outlets handed to AWS by this call
    failed: list[str] = field(default_factory=list)  # outlets to retry by publishing again
    uncertain: list[str] = field(default_factory=list)  # webhooks whose answer was lost


class Publisher:
    def __init__(
        self,
        statements: StatementStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        senders: Mapping[Channel, ChannelSender],
        clock: Clock,
        site: SitePoster | None = None,
        social: SocialPoster | None = None,
    ) -> None:
        self._statements = statements
        self._incidents = incidents
        self._playbooks = playbooks
        self._senders = senders
        self._clock = clock
        self._site = site  # the dark site, for audiences with {site: public}
        self._social = social  # Slack, Teams and Mastodon outlets

    def send(self, statement: Statement, audience: Audience) -> Publication:
        publication = Publication(statement)
        prices = self._playbooks.load().spending.prices
        transient = None
        for outlet in audience.outlets:
            now = self._clock.now()
            if not self._statements.claim_outlet(
                statement.incident_id, statement.statement_id, outlet.name, now
            ):
                continue
            if outlet.kind.platform is not None:
                posted = post_statement(statement, outlet, self._social, now)
                if posted.release:
                    self._statements.release_outlet(
                        statement.incident_id, statement.statement_id, outlet.name
                    )
                self._incidents.append(statement.incident_id, [posted.entry])
                getattr(publication, posted.outcome).append(outlet.name)
                transient = transient or posted.transient
                continue
            try:
                entry = self._hand_over(statement, outlet, prices)
            except SendError as error:
                self._statements.release_outlet(
                    statement.incident_id, statement.statement_id, outlet.name
                )
                entry = records.failed_entry(statement, outlet, error, now)
                self._incidents.append(statement.incident_id, [entry])
                publication.failed.append(outlet.name)
                transient = transient or (error if isinstance(error, TransientSendError) else None)
                continue
            self._incidents.append(statement.incident_id, [entry])
            publication.sent.append(outlet.name)
        if transient is not None and not publication.sent:
            raise TransientError(f"statement {statement.statement_id}: {transient.code}; retry")
        return publication

    def _hand_over(self, statement: Statement, outlet: Outlet, prices: Prices) -> TimelineEntry:
        now = self._clock.now()
        if outlet.kind is not OutletKind.SITE:
            return send_through(self._senders, statement, outlet, prices, now)
        if self._site is None:
            raise PermanentSendError("not_configured", "no dark site here (TOCSIN_SITE_BUCKET)")
        posting = self._site.post(statement.incident_id, statement.statement_id)
        return records.site_entry(statement, outlet, posting, self._clock.now())
