"""Opsgenie's alert lifecycle over Tocsin's events: create, acknowledge, close, note, read.

    create  ──▶ event (trigger, dedup key from the alias) queued ──▶ alert opened, or its open
                namesake counted (alias: the dedup key, as Opsgenie deduplicates)
    ack     ──▶ event (acknowledge) queued ──▶ alert acknowledged
    close   ──▶ event (resolve) queued ──▶ alert closed; the alias is free for a new alert
    note    ──▶ on the alert, and on the timeline of the open incident of its dedup key

The event goes first: if the caller may not send it (scope) or it is invalid, nothing else
changes. Each alert change is conditional on the version read and retried on a race, so two
creates with one alias open one alert. Every request is logged for ``requests/{id}``; it is
processed once the activation rules decided on its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.dropin.ports import (
    ActionNote,
    Alert,
    AlertNote,
    AlertRequest,
    AlertStatus,
    AlertStore,
    Decisions,
    IncidentTimelines,
    NewAlert,
    RequestLog,
    RequestStatus,
    SenderMemory,
)
from chalicelib.core.dropin.query import AlertFilter, Page, select
from chalicelib.core.errors import InvalidRequest, NotFound, TransientError
from chalicelib.core.model import DecisionOutcome, ReceivedEvent, TimelineEntry, scope_dedup_key
from chalicelib.core.ports import Clock

IDENTIFIER_TYPES = ("id", "alias", "tiny")
MAX_NOTES = 10  # the latest kept on the alert (an item holds 400 KB); also on the timeline
ALERT_RETENTION = timedelta(days=90)  # after its last change, as events are kept
REQUEST_RETENTION = timedelta(days=7)  # how long requests/{id} answers
MAX_EVENT_IDS = 20
_ATTEMPTS = 5

# Accepts one canonical event document (the edge binds the key, the format and the original).
Intake = Callable[[Mapping[str, Any]], ReceivedEvent]


def alias_dedup_key(alias: str) -> str:
    """The dedup key of an alias's events (the /v1 Opsgenie path uses the same)."""
    return f"opsgenie:{alias}"[:255]


class AlertDesk:
    def __init__(
        self,
        alerts: AlertStore,
        requests: RequestLog,
        decisions: Decisions,
        incidents: IncidentTimelines,
        senders: SenderMemory,
        clock: Clock,
    ) -> None:
        self._alerts = alerts
        self._senders = senders
        self._requests = requests
        self._decisions = decisions
        self._incidents = incidents
        self._clock = clock

    def create(
        self, sender: str, wanted: NewAlert, document: Mapping[str, Any], intake: Intake
    ) -> AlertRequest:
        alert_id = str(uuid.uuid4())
        alias = wanted.alias or alert_id
        # Remembered first, so the incident this opens finds the sender's recent changes.
        self._senders.remember(sender, alias_dedup_key(alias), self._clock.now())
        received = intake({**document, "dedup_key": alias_dedup_key(alias)})
        now = received.received_at
        for _ in range(_ATTEMPTS):
            latest = self._alerts.latest_by_alias(sender, alias)
            if latest is not None and latest.is_open:
                counted = replace(
                    latest,
                    count=latest.count + 1,
                    updated_at=now,
                    last_occurred_at=now,
                    event_ids=_recent(latest.event_ids, received.event_id),
                    notes=_noted(latest.notes, now, wanted.note, wanted.user, wanted.source),
                )
                if self._alerts.save(counted, latest.version):
                    return self._log(received, sender, "Create", latest, "Alert deduplicated")
                continue
            alert = _new_alert(alert_id, self._alerts.next_tiny_id(), sender, alias, wanted, now)
            alert = replace(alert, event_ids=(received.event_id,))
            if self._alerts.add(alert, latest.alert_id if latest else None):
                return self._log(received, sender, "Create", alert, "Created alert")
        raise TransientError(f"alert {alias!r} kept changing; try again")

    def answer(
        self,
        sender: str,
        identifier: str,
        identifier_type: str | None,
        action: str,
        given: ActionNote,
        intake: Intake,
    ) -> AlertRequest:
        """Acknowledge or close (``action``: acknowledge | resolve) the identified alert."""
        alert = self.find(sender, identifier, identifier_type)
        verb = "Acknowledge" if action == "acknowledge" else "Close"
        if not alert.is_open:
            request_id = _request_id()
            request = AlertRequest(
                request_id, sender, verb, self._clock.now(), alert.alert_id, alert.alias,
                "Alert is already closed", success=False,
            )  # fmt: skip
            self._requests.record(request)
            return request
        document = {
            "source": given.source or alert.source or "opsgenie",
            "type": alert.event_type,
            "action": action,
            "dedup_key": alert.dedup_key,
        }
        received = intake(document)
        now = received.received_at
        who = given.user or given.source or "opsgenie"
        for _ in range(_ATTEMPTS):
            current = self._alerts.get(alert.alert_id) or alert
            changed = replace(
                current,
                updated_at=now,
                event_ids=_recent(current.event_ids, received.event_id),
                notes=_noted(current.notes, now, given.note, given.user, given.source),
            )
            if action == "acknowledge":
                changed = replace(
                    changed, acknowledged=True, acknowledged_at=now, acknowledged_by=who
                )
            else:
                changed = replace(changed, status=AlertStatus.CLOSED, closed_at=now, closed_by=who)
            if self._alerts.save(changed, current.version):
                self._note_on_incident(current, received.event_id, now, given.note, given.user)
                done = "Acknowledged alert" if action == "acknowledge" else "Closed alert"
                return self._log(received, sender, verb, current, done)
        raise TransientError(f"alert {alert.alert_id} kept changing; try again")

    def add_note(
        self, sender: str, identifier: str, identifier_type: str | None, given: ActionNote
    ) -> AlertRequest:
        if not given.note:
            raise InvalidRequest("note", "is required")
        alert = self.find(sender, identifier, identifier_type)
        now = self._clock.now()
        request_id = _request_id()
        for _ in range(_ATTEMPTS):
            current = self._alerts.get(alert.alert_id) or alert
            noted = replace(
                current,
                updated_at=now,
                notes=_noted(current.notes, now, given.note, given.user, given.source),
            )
            if self._alerts.save(noted, current.version):
                break
        else:
            raise TransientError(f"alert {alert.alert_id} kept changing; try again")
        self._note_on_incident(alert, request_id, now, given.note, given.user or given.source)
        request = AlertRequest(
            request_id, sender, "AddNote", now, alert.alert_id, alert.alias, "Added note"
        )
        self._requests.record(request)
        return request

    def find(self, sender: str, identifier: str, identifier_type: str | None) -> Alert:
        """The sender's alert, by ``id`` (the default), ``alias`` or ``tiny`` id."""
        kind = identifier_type or "id"
        if kind not in IDENTIFIER_TYPES:
            raise InvalidRequest(
                "identifierType", f"must be id, alias or tiny, not {identifier_type!r}"
            )
        if kind == "alias":
            found = self._alerts.latest_by_alias(sender, identifier)
        elif kind == "tiny":
            found = self._alerts.by_tiny_id(identifier)
        else:
            found = self._alerts.get(identifier)
        if found is None or found.sender != sender:
            raise NotFound(f"Alert does not exist: no alert with {kind} {identifier!r}")
        return found

    def list(self, sender: str, wanted: AlertFilter, page: Page) -> list[Alert]:
        if wanted.matches_nothing:
            return []
        newest_first = page.newest_first
        return select(
            self._alerts.created_between(sender, wanted.start, wanted.end, newest_first),
            wanted,
            page,
        )

    def status(self, sender: str, request_id: str) -> RequestStatus:
        """What became of a request; NotFound while its event awaits the activation rules,
        as Opsgenie answers for requests not processed yet."""
        request = self._requests.get(request_id)
        expired = request is not None and request.at + REQUEST_RETENTION < self._clock.now()
        if request is None or request.sender != sender or expired:
            raise NotFound("Request not found. It might not be processed, yet.")
        if request.event_id is None:
            return RequestStatus(request, None, request.at)
        decision = self._decisions.get(request.event_id)
        if decision is None or decision.outcome is DecisionOutcome.PENDING:
            raise NotFound(
                "Request not found. It might not be processed, yet "
                "(its event awaits the activation rules)."
            )
        return RequestStatus(request, decision, decision.decided_at or request.at)

    def _log(
        self, received: ReceivedEvent, sender: str, action: str, alert: Alert, status: str
    ) -> AlertRequest:
        request = AlertRequest(
            received.event_id, sender, action, received.received_at, alert.alert_id,
            alert.alias, status, event_id=received.event_id,
        )  # fmt: skip
        self._requests.record(request)
        return request

    def _note_on_incident(
        self, alert: Alert, key: str, at: datetime, note: str | None, by: str | None
    ) -> None:
        """A note lands on the open incident of the alert's dedup key, if one is open now. (A
        create's note is on the timeline already, in the event's original payload.)"""
        if not note:
            return
        # By the scoped dedup key (issue #17): the alert's sender is its events' namespace.
        incident_id = self._incidents.find_open(scope_dedup_key(alert.sender, alert.dedup_key))
        if incident_id is None:
            return
        entry = TimelineEntry(
            at=at,
            kind="note",
            summary=f"note from {by or 'opsgenie'}: {note}",
            data={"alert_id": alert.alert_id, "alias": alert.alias, "note": note, "user": by},
            key=f"note-{key}",
        )
        self._incidents.append(incident_id, [entry])


def _new_alert(
    alert_id: str, tiny_id: str, sender: str, alias: str, wanted: NewAlert, now: datetime
) -> Alert:
    return Alert(
        alert_id=alert_id,
        tiny_id=tiny_id,
        sender=sender,
        alias=alias,
        dedup_key=alias_dedup_key(alias),
        event_type=wanted.event_type,
        message=wanted.message,
        priority=wanted.priority,
        created_at=now,
        updated_at=now,
        description=wanted.description,
        entity=wanted.entity,
        source=wanted.source,
        tags=wanted.tags,
        details=dict(wanted.details or {}),
        responders=wanted.responders,
        actions=wanted.actions,
        notes=_noted((), now, wanted.note, wanted.user, wanted.source),
    )


def _noted(
    notes: tuple[AlertNote, ...],
    at: datetime,
    text: str | None,
    user: str | None,
    source: str | None,
) -> tuple[AlertNote, ...]:
    if not text:
        return notes
    return (*notes, AlertNote(at, text, user, source))[-MAX_NOTES:]


def _recent(event_ids: tuple[str, ...], event_id: str) -> tuple[str, ...]:
    return (*event_ids, event_id)[-MAX_EVENT_IDS:]


def _request_id() -> str:
    return str(uuid.uuid4())
