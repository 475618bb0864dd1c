""" "I need help" is an incident: it pages the check-in's responders (a role, team, on-call
schedule or escalation policy) with the person's name, answer, time and how to reach them, and
escalates like any incident until someone acknowledges.

The incident's id is chosen before the answer is recorded and kept on it, so a retried answer
finds the incident it belongs with: :meth:`HelpDesk.ensure` opens it only if it does not exist,
and the escalator pages each level once (its writes are conditional on the state's version).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chalicelib.core.checkins.values import HELP_TYPE, Checkin, CheckinAnswer
from chalicelib.core.model import (
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    ResponseState,
    Severity,
    TimelineEntry,
)
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.response.escalator import Escalator

HELP_PLAN = "checkin-help"  # no such plan: the built-in templates, and only the escalation


class HelpDesk:
    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        escalator: Escalator,
        clock: Clock,
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._escalator = escalator
        self._clock = clock

    def ensure(self, incident_id: str, checkin: Checkin, answer: CheckinAnswer) -> Incident:
        """The help incident of this answer: opened and its first level paged, once."""
        found = self._incidents.get(incident_id)
        if found is not None:
            return found
        person = self._directory.get_contacts([answer.contact_id]).get(answer.contact_id)
        now = self._clock.now()
        playbook = self._playbooks.load()
        option = checkin.option(answer.option)
        said = option.text("en") if option else str(answer.option)
        asked = self._incidents.get(checkin.incident_id)  # a drill's: its roster bounds help too
        incident = Incident(
            incident_id=incident_id,
            status=IncidentStatus.OPEN,
            title=help_title(person, answer, said),
            type=HELP_TYPE,
            severity=Severity.HIGH,
            event_status=EventStatus.EXERCISE if checkin.exercise else EventStatus.ACTUAL,
            dedup_key=f"checkin:{checkin.checkin_id}:{answer.answer_id}",
            rule_id="checkin",
            plan_id=HELP_PLAN,
            opened_at=now,
            updated_at=now,
            playbook_version=playbook.version,
            requested_by=answer.contact_id,
            response=ResponseState.starting(checkin.responders, now),
            expires_at=playbook.retention.incident_expiry(now),
            drill_id=asked.drill_id if asked else None,
            drill_kind=asked.drill_kind if asked else None,
            roster=asked.roster if asked else None,
        )
        entry = TimelineEntry(
            at=now,
            kind="activated",
            summary=f"{answer.contact_id} answered {said!r} to check-in {checkin.checkin_id} "
            f"by {answer.by.value}; paging {checkin.responders}",
            data={
                "checkin_id": checkin.checkin_id,
                "contact_id": answer.contact_id,
                "answer_id": answer.answer_id,
                "option": answer.option,
                "by": answer.by.value,
                "policy_id": checkin.responders,
            },
            key="activated",
        )
        self._incidents.create(incident, [entry])
        self._escalator.advance(incident)
        return incident


def help_title(person: Contact | None, answer: CheckinAnswer, said: str) -> str:
    """Who, how to reach them, what they answered, when and how: what the responder reads
    first (an SMS keeps only its first segment's worth of title, so the number comes early)."""
    name = person.name if person else answer.contact_id
    phone, email = (person.phone, person.email) if person else (None, None)
    zone = ZoneInfo(person.timezone if person else "UTC")
    when = answer.at.astimezone(zone).strftime("%H:%M %Z")
    late = ", late" if answer.late else ""
    reach = " ".join(value for value in (phone, email) if value) or "(no number or address)"
    return f"{name} answered {said!r} at {when} by {answer.by.value}{late}: {reach}"
