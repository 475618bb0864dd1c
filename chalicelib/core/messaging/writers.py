"""One ``NoticeWriter`` per kind of notice the playbook's templates do not word (a check-in's
question, an update, the reminder that one is due): the dispatcher asks one object, which asks
each writer about its own jobs, once per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.core.messaging.ports import NoticeBatch, NoticeWriter
from chalicelib.core.model import Incident, Message, Notice, NotificationJob
from chalicelib.core.wording.templates import AckInfo


class NoticeWriters:
    def __init__(self, writers: Mapping[Notice, NoticeWriter]) -> None:
        self._writers = writers

    def batch(self, incident: Incident, jobs: Sequence[NotificationJob]) -> NoticeBatch:
        batches: dict[Notice, NoticeBatch] = {}
        asked: dict[int, NoticeBatch] = {}  # a writer of several notices is asked once
        for notice in dict.fromkeys(job.notice for job in jobs):
            writer = self._writers.get(notice)
            if writer is None:
                continue
            if id(writer) not in asked:
                mine = [job for job in jobs if self._writers.get(job.notice) is writer]
                asked[id(writer)] = writer.batch(incident, mine)
            batches[notice] = asked[id(writer)]
        return _Batches(batches)


class _Batches:
    def __init__(self, batches: Mapping[Notice, NoticeBatch]) -> None:
        self._batches = batches

    def wanted(self, job: NotificationJob) -> bool:
        found = self._batches.get(job.notice)
        return found is not None and found.wanted(job)

    def message(
        self, job: NotificationJob, language: str, timezone: str, ack: AckInfo | None
    ) -> Message:
        return self._batches[job.notice].message(job, language, timezone, ack)
