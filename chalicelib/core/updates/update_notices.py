"""The words of updates and of the reminders that one is due, for the dispatcher (a
``NoticeWriter``): an update's text is read from its timeline entry, once per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.core.messaging.ports import NoticeBatch
from chalicelib.core.model import Incident, Message, Notice, NotificationJob
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import IncidentStore
from chalicelib.core.updates.rhythm import UPDATE_SENT
from chalicelib.core.wording.languages import language_candidates
from chalicelib.core.wording.templates import AckInfo, incident_reference
from chalicelib.core.wording.update_words import update_due_message, update_message


class UpdateNotices:
    def __init__(self, incidents: IncidentStore, playbooks: PlaybookSource) -> None:
        self._incidents = incidents
        self._playbooks = playbooks

    def batch(self, incident: Incident, jobs: Sequence[NotificationJob]) -> NoticeBatch:
        texts: dict[int, Mapping[str, str]] = {}
        if any(job.notice is Notice.UPDATE for job in jobs):
            for entry in self._incidents.timeline(incident.incident_id):
                if entry.kind == UPDATE_SENT and isinstance(entry.data.get("texts"), dict):
                    texts[int(entry.data["number"])] = entry.data["texts"]
        plan = self._playbooks.load_version(incident.playbook_version).plan(incident.plan_id)
        minutes = int(plan.updates.every.total_seconds() // 60) if plan.updates else 0
        return _Words(incident, texts, minutes)


class _Words:
    def __init__(
        self, incident: Incident, texts: Mapping[int, Mapping[str, str]], minutes: int
    ) -> None:
        self._incident = incident
        self._texts = texts
        self._minutes = minutes

    def wanted(self, job: NotificationJob) -> bool:
        return job.notice is Notice.UPDATE_DUE or job.step in self._texts

    def message(
        self, job: NotificationJob, language: str, timezone: str, ack: AckInfo | None
    ) -> Message:
        values: dict[str, str | int] = {
            "number": job.step,
            "title": self._incident.title,
            "ref": incident_reference(self._incident.incident_id),
            "incident_id": self._incident.incident_id,
            "url": ack.url if ack else "",
            "every": self._minutes,
        }
        candidates = language_candidates(language)
        if job.notice is Notice.UPDATE_DUE:
            return update_due_message(job.channel, candidates, values)
        return update_message(job.channel, candidates, values, self._texts[job.step])
