"""When an incident's first alert was handed to AWS: recorded on the incident once, and counted
as time to first send by the one dispatch batch whose conditional write recorded it (batches of
one incident run at once; a batch that finds it recorded already does not even try)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.model import Incident, Notice, NotificationJob
from chalicelib.core.ports import IncidentStore
from chalicelib.core.telemetry import TIME_TO_FIRST_SEND, Meter


def first_alert(
    earlier: datetime | None, job: NotificationJob, sent_at: datetime
) -> datetime | None:
    """When a batch first handed an alert to AWS, given one more message sent at ``sent_at``."""
    return earlier or (sent_at if job.notice is Notice.ALERT else None)


def record_first_send(
    incidents: IncidentStore, meter: Meter, incident: Incident, first_alert_at: datetime | None
) -> None:
    """``incident`` as the batch read it; ``first_alert_at``: when the batch sent its first alert
    (None: it sent none)."""
    if first_alert_at is None or incident.first_sent_at is not None:
        return
    if incidents.mark_first_send(incident.incident_id, first_alert_at):
        seconds = (first_alert_at - incident.opened_at).total_seconds()
        meter.record(TIME_TO_FIRST_SEND, max(seconds, 0.0))
