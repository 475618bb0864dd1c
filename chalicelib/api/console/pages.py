"""The console's pages (GET): incidents, one incident, on call now, live check-ins, and the
statements waiting for approval. Each needs a session with the ``read`` scope; each reads
through the same use cases as the JSON API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.api.console.web import console, pages, render, services, signed_in_reader
from chalicelib.api.lists import query_parameters
from chalicelib.core.errors import NotFound
from chalicelib.core.listing import INCIDENT_FILTERS, cursor_for, incident_query
from chalicelib.core.model import IncidentStatus
from chalicelib.core.summaries import IncidentSummary

_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")
OPEN_ON_TOP = 50  # open incidents shown above the list when it is not filtered
DONE = {
    "acknowledged": "You acknowledged: the escalation stops.",
    "counted": "You acknowledged: it counts; more acknowledgements are needed to stop the "
    "escalation.",
    "already": "You had acknowledged already.",
    "not_counted": "Your acknowledgement is recorded but does not count: no level paged you.",
    "gate_approved": "You approved the activation.",
    "resolved": "Resolved: everyone an alert reached is told.",
    "escalated": "The next level is being paged now.",
    "update_sent": "Update sent to everyone the incident reached.",
    "approved": "Statement approved.",
    "published": "Statement published.",
}


@console.route("/console", methods=["GET"])
@pages
def incidents_page() -> Response:
    request, found, session = signed_in_reader()
    params = query_parameters(request)
    # Exercises are listed (and marked) unless the filter says otherwise: a console shows drills.
    params.setdefault("exercise", ["include"])
    query = incident_query(params)
    page = found.lists.incidents(query)
    filtered = any(params.get(name) for name in INCIDENT_FILTERS if name != "exercise")
    opened: list[IncidentSummary] = []
    if not filtered and "cursor" not in params:
        wanted = {"status": ["open"], "exercise": ["include"], "limit": [str(OPEN_ON_TOP)]}
        opened = list(found.lists.incidents(incident_query(wanted)).items)
    cursor = cursor_for(query, page.next)
    kept = {name: values[0] for name, values in params.items() if name != "cursor" and values}
    return render(
        request,
        found,
        "incidents.html",
        session,
        opened=opened,
        incidents=[
            item for item in page.items if not (opened and item.status is IncidentStatus.OPEN)
        ],
        filters={name: (params.get(name) or [""])[0] for name in (*INCIDENT_FILTERS, "limit")},
        next_page=urlencode({**kept, "cursor": cursor}) if cursor else None,
        statuses=[status.value for status in IncidentStatus],
    )


@console.route("/console/incidents/{incident_id}", methods=["GET"])
@pages
def incident_page(incident_id: str) -> Response:
    request, found, session = signed_in_reader()
    query: Mapping[str, str] = request.query_params or {}
    # A code from the action just taken, said in fixed words: the address never puts text
    # of its own on the page.
    note = DONE.get(query.get("done", ""))
    return render(request, found, "incident.html", session, **incident_view(incident_id, note))


def incident_view(incident_id: str, note: str | None = None) -> dict[str, Any]:
    """What the incident page shows: the incident, where its answers stand level by level (who
    was paged, on which channel, delivered or not, and how they answered), its timeline and
    its statements."""
    from chalicelib.core.console.paged_levels import reach_table

    found = services()
    incident = found.incidents.get(incident_id) if _INCIDENT_ID.fullmatch(incident_id) else None
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    timeline = found.incidents.timeline(incident_id)
    standing = found.responses.standing(incident, timeline)
    return {
        "incident": incident,
        "standing": standing,
        "levels": reach_table(standing, timeline),
        "timeline": timeline,
        "statements": found.statement_desk.statements(incident_id),
        "note": note,
    }


@console.route("/console/oncall", methods=["GET"])
@pages
def oncall_page() -> Response:
    request, found, session = signed_in_reader()
    schedules = sorted(found.playbooks.load().oncall)
    return render(
        request,
        found,
        "oncall.html",
        session,
        coverages=[found.oncall.coverage(schedule_id) for schedule_id in schedules],
    )


@console.route("/console/checkins", methods=["GET"])
@pages
def checkins_page() -> Response:
    from chalicelib.core.checkins.tally import cut_off, tally

    request, found, session = signed_in_reader()
    store = found.checkin_store
    tallies = []
    for checkin_id in sorted(store.open_ids()):
        checkin = store.get(checkin_id)
        if checkin is None:
            continue
        failed = cut_off(checkin, found.incidents.timeline(checkin.incident_id))
        tallies.append(tally(checkin, store.audience(checkin_id), store.latest(checkin_id), failed))
    return render(request, found, "checkins.html", session, tallies=tallies)


@console.route("/console/statements", methods=["GET"])
@pages
def statements_page() -> Response:
    from chalicelib.core.statements.ports import Statement, StatementState

    waiting_states = (StatementState.DRAFT, StatementState.APPROVED)
    request, found, session = signed_in_reader()
    opened = found.lists.incidents(
        incident_query({"status": ["open"], "exercise": ["include"], "limit": ["200"]})
    ).items
    waiting: list[tuple[Any, list[Statement]]] = []
    for item in opened:
        drafts = [
            s
            for s in found.statement_desk.statements(item.incident_id)
            if s.state in waiting_states
        ]
        if drafts:
            waiting.append((item, drafts))
    return render(request, found, "statements.html", session, waiting=waiting)
