"""The words of a statement to an audience, drafted from the playbook's templates. Pure.

A statement is not an alert: it goes to many people who are not on the team (staff, customers,
media, regulators), so its variables say what is verified and when the next update comes, and
never carry anyone's link or reply code. People edit the draft; what they approve is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.model import Incident
from chalicelib.core.wording.exercise_words import EXERCISE_MARKER
from chalicelib.core.wording.templates import incident_reference, render_source
from chalicelib.core.wording.times import local_time

MAX_SUBJECT = 200
MAX_BODY = 8000

# What ``tocsin policies validate`` renders every statement template with.
SAMPLE_VARIABLES: Mapping[str, Any] = {
    "marker": "",
    "exercise": False,
    "severity": "CRITICAL",
    "title": "Personal data of customers exposed",
    "type": "cyber.data_breach",
    "ref": "A3D6CA",
    "incident_id": "inc_01JD0000000000000000A3D6CA",
    "opened_at": "2026-12-02 03:00 CET (Europe/Copenhagen)",
    "now": "2026-12-02 03:05 CET (Europe/Copenhagen)",
    "next_update": "2026-12-02 04:05 CET (Europe/Copenhagen)",
}


def statement_variables(
    incident: Incident, now: datetime, next_update: datetime, timezone: str
) -> dict[str, Any]:
    """What a statement template may use; times on the audience's wall clock, the zone named."""
    return {
        "marker": EXERCISE_MARKER if incident.is_exercise else "",
        "exercise": incident.is_exercise,
        "severity": incident.severity.value.upper(),
        "title": incident.title,
        "type": incident.type,
        "ref": incident_reference(incident.incident_id),
        "incident_id": incident.incident_id,
        "opened_at": local_time(incident.opened_at, timezone),
        "now": local_time(now, timezone),
        "next_update": local_time(next_update, timezone),
    }


def render_statement(subject: str, body: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body), the subject on one line."""
    rendered_subject = " ".join(render_source(subject, variables).split())
    return rendered_subject[:MAX_SUBJECT], render_source(body, variables).strip() + "\n"
