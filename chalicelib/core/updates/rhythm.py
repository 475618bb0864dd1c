"""The ``UpdateDesk``: post an update, start an incident's rhythm, remind when one is overdue.

    plan activates ─▶ start: update 1 due at now + updates.every
    a person       ─▶ post: the text on the timeline (``update-N``, which the dispatcher's
                      words read), UPDATE jobs to every (person, channel) an alert reached
                      (a call becomes a text), an update draft per audience; update N+1 due
    the tick       ─▶ an update past due: UPDATE_DUE jobs to the plan's updates role (keyed
                      entry, one ledger item per person, channel and number), then the
                      deadline taken, so each overdue update reminds once

The deadline is taken after the reminder is queued: a crash in between re-queues the same jobs,
which the send ledger drops. A resolved incident's deadline is dropped at its next tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, FieldProblem, InvalidRequest, NotFound
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import (
    STAKEHOLDERS,
    Channel,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    TimelineEntry,
)
from chalicelib.core.playbook.audiences import StatementKind
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.ports import ReachedLedger
from chalicelib.core.statements.desk import StatementDesk
from chalicelib.core.updates.ports import DueUpdate, UpdateSchedule
from chalicelib.core.wording.templates import LANGUAGE_TAG

MAX_TEXT = 1000  # an update is read on a phone: the SMS carries its first segment's worth
UPDATE_SENT = "update_sent"
TICK_BATCH = 100


@dataclass(frozen=True)
class UpdateRequest:
    """``{"text": "..."}`` or ``{"text": {"en": "...", "da": "..."}}``: each person reads the
    text in their language, else the first one given."""

    texts: Mapping[str, str]


@dataclass(frozen=True)
class UpdateSent:
    incident_id: str
    number: int
    people: int
    messages: int
    drafts: tuple[str, ...]  # the update statements drafted for the audiences
    next_due: datetime | None

    def document(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "number": self.number,
            "people": self.people,
            "messages": self.messages,
            "drafts": list(self.drafts),
            "next_due": self.next_due.isoformat() if self.next_due else None,
        }


@dataclass
class UpdateTick:
    reminded: list[str] = field(default_factory=list)  # incidents whose updates role was told
    failed: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


def parse_update(document: Any) -> UpdateRequest:
    if not isinstance(document, Mapping):
        raise InvalidRequest("$", "the request must be a JSON object")
    unknown = sorted(set(document) - {"text"})
    if unknown:
        raise InvalidRequest.of(
            [FieldProblem(str(u), "unknown field; only 'text'") for u in unknown]
        )
    given = document.get("text")
    texts = {"en": given} if isinstance(given, str) else given
    if not isinstance(texts, Mapping) or not texts:
        raise InvalidRequest("text", "is required: a text, or texts by language")
    problems = [
        FieldProblem(f"text.{language}", f"must be 1 to {MAX_TEXT} characters")
        for language, text in texts.items()
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT
    ] + [
        FieldProblem(f"text.{language}", "is not a BCP 47 language tag such as 'en'")
        for language in texts
        if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language)
    ]
    if problems:
        raise InvalidRequest.of(problems)
    return UpdateRequest({str(k): str(v).strip() for k, v in texts.items()})


class UpdateDesk:
    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        reached: ReachedLedger,
        dispatch: DispatchQueue,
        schedule: UpdateSchedule,
        clock: Clock,
        statements: StatementDesk | None = None,
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._reached = reached
        self._dispatch = dispatch
        self._schedule = schedule
        self._clock = clock
        self._statements = statements

    def start(self, incident: Incident) -> None:
        """The first update falls due one rhythm after the plan activates (kept if set)."""
        rhythm = self._playbooks.load_version(incident.playbook_version).plan(incident.plan_id)
        if rhythm.updates is not None:
            due = self._clock.now() + rhythm.updates.every
            self._schedule.set_due(incident.incident_id, due, 1, only_if_new=True)

    def post(self, incident_id: str, who: Answerer, request: UpdateRequest) -> UpdateSent:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.status is not IncidentStatus.OPEN:
            raise Conflict(
                f"incident {incident_id} is {incident.status.value}: updates are sent only "
                "while it is open"
            )
        timeline = self._incidents.timeline(incident_id)
        number = 1 + sum(1 for entry in timeline if entry.kind == UPDATE_SENT)
        pairs: dict[tuple[str, Channel], None] = {}
        for contact_id, channel in self._reached.reached(incident_id):
            if contact_id != STAKEHOLDERS and channel is not Channel.BROADCAST:
                pairs[(contact_id, Channel.SMS if channel is Channel.VOICE else channel)] = None
        jobs = [
            NotificationJob(incident_id, contact_id, channel, number, notice=Notice.UPDATE)
            for contact_id, channel in pairs
        ]
        people = len({contact_id for contact_id, _ in pairs})
        now = self._clock.now()
        entry = TimelineEntry(
            at=now,
            kind=UPDATE_SENT,
            summary=f"update {number} by {who.describe()} via {who.via}: sent to {people} "
            f"people ({len(jobs)} messages)",
            data={
                "number": number,
                "texts": dict(request.texts),
                "people": people,
                "messages": len(jobs),
                **who.document(),
            },
            key=f"update-{number}",
        )
        self._incidents.append(incident_id, [entry])  # before the jobs: their words read it
        if jobs:
            self._dispatch.put_jobs(jobs)
        drafts: tuple[str, ...] = ()
        if self._statements is not None:
            made = self._statements.draft_by_tocsin(incident, StatementKind.UPDATE)
            drafts = tuple(s.statement_id for s in made)
        plan = self._playbooks.load_version(incident.playbook_version).plan(incident.plan_id)
        next_due = now + plan.updates.every if plan.updates else None
        if next_due is not None:
            self._schedule.set_due(incident_id, next_due, number + 1)
        return UpdateSent(incident_id, number, people, len(jobs), drafts, next_due)

    def tick(self) -> UpdateTick:
        """Remind the updates role of every incident whose update is overdue, once each. One
        incident's failure is reported and retried at the next tick; the others proceed."""
        report = UpdateTick()
        for due in self._schedule.due(self._clock.now(), TICK_BATCH):
            try:
                if self._remind(due):
                    report.reminded.append(due.incident_id)
            except Exception as error:  # the isolation boundary of one incident
                report.failed.append(due.incident_id)
                report.reasons[due.incident_id] = f"{type(error).__name__}: {error}"
        return report

    def _remind(self, due: DueUpdate) -> bool:
        incident = self._incidents.get(due.incident_id)
        if incident is None or incident.status is not IncidentStatus.OPEN:
            self._schedule.take(due)  # over (or never opened): nothing more is due
            return False
        plan = self._playbooks.load_version(incident.playbook_version).plan(incident.plan_id)
        if plan.updates is None:
            self._schedule.take(due)
            return False
        told = self._directory.members([plan.updates.role])
        jobs = [
            NotificationJob(
                incident.incident_id, c.contact_id, channel, due.number, notice=Notice.UPDATE_DUE
            )
            for c in told
            for channel in (Channel.SMS, Channel.EMAIL)
            if c.unreachable_on(channel) is None
        ]
        minutes = int(plan.updates.every.total_seconds() // 60)
        names = ", ".join(c.contact_id for c in told) or "nobody (no one holds the role)"
        entry = TimelineEntry(
            at=self._clock.now(),
            kind="update_due",
            summary=f"update {due.number} is overdue (one every {minutes} min, due "
            f"{due.due_at:%H:%M} UTC): reminding role {plan.updates.role}: {names}",
            data={
                "number": due.number,
                "due_at": due.due_at.isoformat(),
                "role": plan.updates.role,
                "reminded": [c.contact_id for c in told],
            },
            key=f"update-due-{due.number}",
        )
        self._incidents.append(incident.incident_id, [entry])
        if jobs:
            self._dispatch.put_jobs(jobs)
        return self._schedule.take(due)
