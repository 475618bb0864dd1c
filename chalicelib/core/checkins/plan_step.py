"""A response plan's check-in (its ``checkin`` step), started when the plan activates: the
``Notifier`` asks the ``PlanCheckins`` port (``activation/ports.py``) once the plan's own
messages are queued.

One check-in per incident: its id is derived from the incident's, so a notifier that runs
again (a redelivered event, a retry after a fault) completes the same check-in and the send
ledger asks nobody twice. An exercise incident starts an exercise check-in. A step that
cannot start (a label nobody carries, responders gone since the playbook was applied) does not
stop the plan: the reason goes on the plan incident's timeline.
"""

from __future__ import annotations

import hashlib

from chalicelib.core.checkins.roll_call import CheckinDesk
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.model import Incident, TimelineEntry
from chalicelib.core.playbook.checkin_request import CheckinRequest
from chalicelib.core.ports import Clock, IncidentStore

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class PlanCheckins:
    def __init__(self, desk: CheckinDesk, incidents: IncidentStore, clock: Clock) -> None:
        self._desk = desk
        self._incidents = incidents
        self._clock = clock

    def start_for(self, incident: Incident, request: CheckinRequest) -> str | None:
        checkin_id = plan_checkin_id(incident.incident_id)
        actor = incident.requested_by or f"plan {incident.plan_id}"
        try:
            drill = incident if incident.roster is not None else None
            checkin = self._desk.start(request, actor, checkin_id, incident.is_exercise, drill)
        except InvalidRequest as refused:
            self._note(
                incident, "checkin_not_started", f"the plan's check-in did not start: {refused}"
            )
            return None
        summary = f"check-in {checkin.checkin_id} started: {checkin.asked} people asked"
        self._note(incident, "plan_checkin", f"{summary} ({checkin.audience.describe()})")
        return checkin.checkin_id

    def _note(self, incident: Incident, kind: str, summary: str) -> None:
        entry = TimelineEntry(at=self._clock.now(), kind=kind, summary=summary, key="plan-checkin")
        self._incidents.append(incident.incident_id, [entry])


def plan_checkin_id(incident_id: str) -> str:
    """The check-in a plan's incident starts: a ULID of the same instant whose other 80 bits
    come from the incident's id (the check-in's own incident is then never the plan's)."""
    ulid = incident_id.removeprefix("inc_")
    bits = int.from_bytes(hashlib.sha256(f"plan-checkin:{ulid}".encode()).digest()[:10])
    tail = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(75, -1, -5))
    return f"chk_{ulid[:10]}{tail}"
