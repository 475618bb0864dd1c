"""Turn an incident into the words each channel sends.

The SMS form keeps the essential line (exercise marker, severity, what, reference) inside one
160-character GSM-7 segment by shortening the title, never the marker or the reference.
Per-language templates from the playbook replace these defaults in a later step.
"""

from __future__ import annotations

from chalicelib.core.model import Channel, Incident, Message

SMS_SEGMENT = 160
EXERCISE_MARKER = "[EXERCISE] "


def incident_reference(incident_id: str) -> str:
    """A short reference people can read out on a call; unique enough within a day."""
    return incident_id[-6:]


def render_message(incident: Incident, channel: Channel) -> Message:
    if channel is Channel.SMS:
        return Message(body=_sms_body(incident))
    return _email(incident)


def _sms_body(incident: Incident) -> str:
    marker = EXERCISE_MARKER if incident.is_exercise else ""
    head = f"{marker}TOCSIN {incident.severity.value.upper()}: "
    tail = f" (ref {incident_reference(incident.incident_id)})"
    room = SMS_SEGMENT - len(head) - len(tail)
    title = incident.title if len(incident.title) <= room else incident.title[: room - 1] + "…"
    return f"{head}{title}{tail}"


def _email(incident: Incident) -> Message:
    marker = EXERCISE_MARKER if incident.is_exercise else ""
    severity = incident.severity.value.upper()
    subject = f"{marker}[Tocsin {severity}] {incident.title}"
    lines = [
        f"{marker}A crisis response has been activated and you are on its team.",
        "",
        f"What: {incident.title}",
        f"Severity: {severity}",
        f"Type: {incident.type}",
        f"Opened: {incident.opened_at.isoformat(timespec='seconds')}",
        f"Reference: {incident_reference(incident.incident_id)} ({incident.incident_id})",
    ]
    if incident.is_exercise:
        lines += ["", "This is an exercise. No real incident is under way."]
    return Message(subject=subject, body="\n".join(lines) + "\n")
