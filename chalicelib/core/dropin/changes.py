"""PagerDuty change events: what changed (a deploy, a configuration), never paging anyone.

    trigger through a drop-in path ──▶ its dedup key (scoped to the sender) is the sender's
    incident of that key opens ──▶ it is the sender's; the sender's changes of the LOOKBACK
                                   before it are listed on its timeline
    change ──▶ kept for CHANGE_RETENTION ──▶ on the timeline of each of the sender's incidents
               still open (resolved ones are forgotten as they are met)

"The same sender" is the key's namespace (its --source, else its name), as PagerDuty ties change
events to the service of their routing key. Timeline entries are keyed by change, so a retry or
a redelivered event never doubles them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.core.dropin.ports import ChangeEvent, ChangeStore, IncidentTimelines
from chalicelib.core.model import IncidentStatus, TimelineEntry, scope_dedup_key

CHANGE_RETENTION = timedelta(days=30)
LOOKBACK = timedelta(hours=24)
MAX_LISTED = 20  # the most recent changes listed on a new incident


class ChangeLog:
    def __init__(self, changes: ChangeStore, incidents: IncidentTimelines) -> None:
        self._changes = changes
        self._incidents = incidents

    def remember(self, sender: str, dedup_key: str, at: datetime) -> None:
        """The sender triggers with this dedup key: the incidents it opens are the sender's.
        Kept by the key scoped to the sender's namespace (issue #17), as incidents know it, so
        another sender with the same dedup key never claims the sender's incidents."""
        self._changes.remember(sender, scope_dedup_key(sender, dedup_key), at)

    def record(self, change: ChangeEvent) -> list[str]:
        """Keep the change and put it on the sender's open incidents; their ids."""
        self._changes.record(change)
        reached = []
        for incident_id in self._changes.incidents(change.sender):
            incident = self._incidents.get(incident_id)
            if incident is None or incident.status is not IncidentStatus.OPEN:
                self._changes.forget_incident(change.sender, incident_id)
                continue
            self._incidents.append(incident_id, [_entry(change, "change")])
            reached.append(incident_id)
        return reached

    def incident_opened(self, incident_id: str) -> int:
        """An incident opened: if a sender's drop-in trigger opened it, it becomes the
        sender's, and the sender's changes since the LOOKBACK before it are listed on its
        timeline (those that came after it opened too: they may have been recorded before
        the incident was known to be the sender's). How many were listed."""
        incident = self._incidents.get(incident_id)
        sender = self._changes.sender_of(incident.scoped_dedup_key) if incident else None
        if incident is None or sender is None:
            return 0
        self._changes.add_incident(sender, incident_id, incident.opened_at)
        opened = incident.opened_at
        recent = self._changes.changes(sender, opened - LOOKBACK, opened + CHANGE_RETENTION)
        if recent:
            self._incidents.append(
                incident_id,
                [
                    _entry(change, "recent_change" if change.received_at < opened else "change")
                    for change in recent[-MAX_LISTED:]
                ],
            )
        return len(recent[-MAX_LISTED:])


def _entry(change: ChangeEvent, kind: str) -> TimelineEntry:
    before = "change before this incident" if kind == "recent_change" else "change"
    origin = f" (from {change.source})" if change.source else ""
    return TimelineEntry(
        at=change.received_at,
        kind=kind,
        summary=f"{before}: {change.summary}{origin}",
        data={
            "change_id": change.change_id,
            "summary": change.summary,
            "source": change.source,
            "occurred_at": (change.occurred_at or change.received_at).isoformat(),
            "custom_details": dict(change.custom_details),
            "links": [{"href": link.href, "text": link.text} for link in change.links],
        },
        key=f"change-{change.change_id}",
    )
