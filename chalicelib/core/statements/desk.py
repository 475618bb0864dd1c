"""The statement desk: draft, edit, approve, reject and publish statements to an incident's
audiences. Nothing reaches an audience any other way, and nothing without its approvals.

    activation ─▶ draft_initial: one holding statement per audience and language (by Tocsin)
    a person   ─▶ draft (template or own words; "replaces" supersedes an unpublished one)
               ─▶ edit (only before anyone approved: the first approval freezes the text)
    N people   ─▶ approve (distinct, with their own credential, in the plan's roles)
    a person   ─▶ publish ─▶ 'published' first (conditional on the version read), then each
                  outlet claimed once and sent; a failed outlet is released for the next try

Every step is a conditional write on the statement's version, with its timeline entry, so two
people racing change it once: the loser gets 409 and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    TransientError,
)
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Incident, IncidentStatus, TimelineEntry
from chalicelib.core.playbook.audiences import (
    StatementKind,
    StatementPolicy,
)
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.site.ports import SitePoster
from chalicelib.core.statements import approvals, records
from chalicelib.core.statements.drafting import (
    DraftRequest,
    audience_language,
    from_template,
    next_kind,
    tocsin_drafts,
)
from chalicelib.core.statements.ports import (
    SocialPoster,
    Statement,
    StatementState,
    StatementStore,
)
from chalicelib.core.statements.publishing import Publication, Publisher

if TYPE_CHECKING:
    from chalicelib.core.playbook.document import Playbook

_ATTEMPTS = 20  # drafting: numbers taken by someone drafting at the same moment


class StatementDesk:
    def __init__(
        self,
        statements: StatementStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        senders: Mapping[Channel, ChannelSender],
        clock: Clock,
        site: SitePoster | None = None,  # the dark site, for audiences with {site: public}
        social: SocialPoster | None = None,
    ) -> None:
        self._publisher = Publisher(
            statements, incidents, playbooks, senders, clock, site, social
        )  # the outlets: AWS channels, the dark site, Slack, Teams and Mastodon
        self._statements = statements
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._clock = clock

    def statements(self, incident_id: str) -> list[Statement]:
        self._incident(incident_id)
        return self._statements.list(incident_id)

    def get(self, incident_id: str, statement_id: str) -> Statement:
        found = self._statements.get(incident_id, statement_id)
        if found is None:
            raise NotFound(f"incident {incident_id} has no statement {statement_id}")
        return found

    def draft_initial(self, incident: Incident) -> list[Statement]:
        """The holding statement for each audience and language of the plan, at activation.
        Safe to repeat (each has a fixed id: ``<audience>-<language>-1``)."""
        return self.draft_by_tocsin(incident, StatementKind.INITIAL)

    def draft_closing(self, incident_id: str) -> list[Statement]:
        """At resolution: the closing statement for each audience that heard from us."""
        incident = self._incidents.get(incident_id)
        return [] if incident is None else self.draft_by_tocsin(incident, StatementKind.CLOSING)

    def draft_by_tocsin(self, incident: Incident, kind: StatementKind) -> list[Statement]:
        """Drafts of ``kind`` from the plan's templates, by Tocsin (``tocsin_drafts``)."""
        playbook = self._playbooks.load_version(incident.playbook_version)
        policy = playbook.plan(incident.plan_id).statements
        if policy is None:
            return []
        existing = [] if kind is StatementKind.INITIAL else self.statements(incident.incident_id)
        audiences = [playbook.audiences[name] for name in policy.audiences]
        drafted = []
        for draft in tocsin_drafts(incident, audiences, policy, kind, existing, self._clock.now()):
            if self._statements.add(draft, [records.drafted_entry(draft, None)]):
                drafted.append(draft)
        return drafted

    def draft(self, incident_id: str, who: Answerer, request: DraftRequest) -> Statement:
        incident = self._incident(incident_id)
        if incident.status is IncidentStatus.CANCELLED:
            raise Conflict(f"incident {incident_id} was cancelled: nothing is said about it")
        playbook, policy = self._policy(incident)
        replaced = self.get(incident_id, request.replaces) if request.replaces else None
        name = request.audience or (replaced.audience if replaced else "")
        if name not in policy.audiences:
            raise InvalidRequest(
                "audience",
                f"plan {incident.plan_id} speaks to {', '.join(policy.audiences)}; not {name!r}",
            )
        audience = playbook.audiences[name]
        language = audience_language(
            audience, request.language or (replaced.language if replaced else None)
        )
        person = approvals.check_person(who, self._roles(who), policy.roles, "draft")
        if replaced is not None and replaced.state.is_settled:
            raise Conflict(f"statement {replaced.statement_id} was {replaced.state.value}")
        existing = self._statements.list(incident_id)
        kind = request.kind or (replaced.kind if replaced else next_kind(existing, name))
        now = self._clock.now()
        number = 1 + sum(1 for s in existing if (s.audience, s.language) == (name, language))
        for attempt in range(_ATTEMPTS):
            draft = from_template(
                incident, audience, language, kind, policy, number + attempt, now, person
            )
            draft = replace(
                draft,
                subject=request.subject or draft.subject,
                body=request.body or draft.body,
                replaces=replaced.statement_id if replaced else None,
            )
            if self._statements.add(draft, [records.drafted_entry(draft, who)]):
                break
        else:
            raise TransientError(f"incident {incident_id}: statements kept being drafted; retry")
        if replaced is not None and replaced.state in (
            StatementState.DRAFT,
            StatementState.APPROVED,
        ):
            self._supersede(replaced, draft.statement_id)
        return draft

    def edit(
        self,
        incident_id: str,
        statement_id: str,
        who: Answerer,
        subject: str | None,
        body: str | None,
    ) -> Statement:
        found = self.get(incident_id, statement_id)
        approvals.check_person(who, self._roles(who), found.roles, "edit")
        changed = approvals.edited(found, subject or found.subject, body or found.body)
        entry = records.edited_entry(changed, who, self._clock.now())
        return self._save(changed, entry, "edited")

    def approve(
        self, incident_id: str, statement_id: str, who: Answerer, digest: str | None = None
    ) -> Statement:
        found = self.get(incident_id, statement_id)
        approvals.check_person(who, self._roles(who), found.roles, "approve")
        now = self._clock.now()
        changed = approvals.approved(found, who, digest, now)
        return self._save(changed, records.approved_entry(changed, who, now), "approved")

    def reject(self, incident_id: str, statement_id: str, who: Answerer, reason: str) -> Statement:
        found = self.get(incident_id, statement_id)
        person = approvals.check_person(who, self._roles(who), found.roles, "reject")
        now = self._clock.now()
        changed = approvals.rejected(found, person, reason, now)
        return self._save(changed, records.rejected_entry(changed, who, now), "rejected")

    def publish(self, incident_id: str, statement_id: str, who: Answerer) -> Publication:
        """Send the approved text through each outlet of its audience, each once."""
        found = self.get(incident_id, statement_id)
        person = approvals.check_person(who, self._roles(who), found.roles, "publish")
        approvals.publishable(found)
        incident = self._incident(incident_id)
        if incident.status not in (IncidentStatus.OPEN, IncidentStatus.RESOLVED):
            raise Conflict(
                f"incident {incident_id} is {incident.status.value}: nothing is published "
                "about an activation nobody has verified"
            )
        now = self._clock.now()
        if found.state is StatementState.APPROVED:
            found = self._save(
                approvals.published(found, person, now),
                records.published_entry(found, who, now),
                "published",
            )
            for older in self._statements.list(incident_id):
                if approvals.is_outdated_by(older, found):
                    self._supersede(older, found.statement_id)
        playbook = self._playbooks.load_version(incident.playbook_version)
        publication = self._publisher.send(found, playbook.audiences[found.audience])
        if not (publication.sent or publication.failed or publication.uncertain):
            raise Conflict(
                f"statement {statement_id} was already published by {found.settled_by}; "
                "nothing is sent twice"
            )
        return publication

    def _save(self, changed: Statement, entry: TimelineEntry, what: str) -> Statement:
        if not self._statements.save(changed, [entry]):
            raise Conflict(
                f"statement {changed.statement_id} changed while it was being {what}; read it again"
            )
        return changed

    def _supersede(self, statement: Statement, by: str) -> None:
        now = self._clock.now()
        self._statements.save(
            approvals.superseded(statement, by, now), [records.superseded_entry(statement, by, now)]
        )

    def _incident(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident

    def _policy(self, incident: Incident) -> tuple[Playbook, StatementPolicy]:
        playbook = self._playbooks.load_version(incident.playbook_version)
        policy = playbook.plan(incident.plan_id).statements
        if policy is None:
            raise Conflict(f"plan {incident.plan_id} names no audiences: it makes no statements")
        return playbook, policy

    def _roles(self, who: Answerer) -> tuple[str, ...]:
        if who.contact_id is None:
            return ()
        contact = self._directory.get_contacts([who.contact_id]).get(who.contact_id)
        if contact is None:
            raise Forbidden(f"{who.contact_id} is not a contact")
        return contact.roles
