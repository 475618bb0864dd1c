"""What a check-in says on each channel, in each person's language: the question, its numbered
options and how to answer (the digit by SMS, the link), and to a lead, who has not answered.

Voice calls take no keypress (End User Messaging's voice messages are one-way): they say the
options and how to answer by text or link. The dispatcher asks :class:`CheckinNotices` once per
batch; a reminder to someone who has answered since it was queued is no longer wanted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape  # xml.sax.saxutils' would import urllib.request (cold start)

from chalicelib.core.checkins.ports import CheckinStore
from chalicelib.core.checkins.values import Checkin, CheckinAnswer, checkin_for_incident
from chalicelib.core.messaging.ports import NoticeBatch
from chalicelib.core.model import Channel, Contact, Incident, Message, Notice, NotificationJob
from chalicelib.core.ports import ContactDirectory
from chalicelib.core.wording.checkin_words import checkin_says
from chalicelib.core.wording.exercise_words import EXERCISE_MARKER
from chalicelib.core.wording.templates import AckInfo

MAX_NAMES = 20  # names in a lead's message; the rest counted


class CheckinNotices:
    def __init__(self, store: CheckinStore, directory: ContactDirectory) -> None:
        self._store = store
        self._directory = directory

    def batch(self, incident: Incident, jobs: Sequence[NotificationJob]) -> NoticeBatch:
        checkin = self._store.get(checkin_for_incident(incident.incident_id))
        if checkin is None:
            return _Nothing()
        reminded = {j.contact_id for j in jobs if j.notice is Notice.CHECKIN and j.step > 0}
        answered = self._store.latest_of(checkin.checkin_id, sorted(reminded)) if reminded else {}
        silent_reports: dict[str, list[Contact]] = {}
        if any(job.notice is Notice.CHECKIN_LEAD for job in jobs):
            silent_reports = self._silent_reports(checkin)
        return _Words(checkin, answered, silent_reports)

    def _silent_reports(self, checkin: Checkin) -> dict[str, list[Contact]]:
        """Each lead's people who have not answered (read only for a lead's message)."""
        asked = [m.contact_id for m in self._store.audience(checkin.checkin_id)]
        answered = self._store.latest(checkin.checkin_id)
        silent = self._directory.get_contacts([c for c in asked if c not in answered])
        reports: dict[str, list[Contact]] = {}
        for person in silent.values():
            if person.reports_to:
                reports.setdefault(person.reports_to, []).append(person)
        return reports


class _Nothing:
    def wanted(self, job: NotificationJob) -> bool:
        return False

    def message(
        self, job: NotificationJob, language: str, timezone: str, ack: AckInfo | None
    ) -> Message:
        raise AssertionError("no message is wanted")


class _Words:
    def __init__(
        self,
        checkin: Checkin,
        answered: Mapping[str, CheckinAnswer],
        silent_reports: Mapping[str, list[Contact]],
    ) -> None:
        self._checkin = checkin
        self._answered = answered
        self._reports = silent_reports

    def wanted(self, job: NotificationJob) -> bool:
        if job.notice is Notice.CHECKIN_LEAD:
            return bool(self._reports.get(job.contact_id))
        return job.step == 0 or job.contact_id not in self._answered

    def message(
        self, job: NotificationJob, language: str, timezone: str, ack: AckInfo | None
    ) -> Message:
        if job.notice is Notice.CHECKIN_LEAD:
            return lead_message(self._checkin, job.channel, language, self._reports[job.contact_id])
        return question_message(self._checkin, job.channel, language, ack, reminder=job.step > 0)


def question_message(
    checkin: Checkin, channel: Channel, language: str, ack: AckInfo | None, reminder: bool = False
) -> Message:
    marker = EXERCISE_MARKER if checkin.exercise else ""
    question = checkin.question_in(language)
    heading = checkin_says(language, "heading")
    if reminder:
        heading = f"{heading} {checkin_says(language, 'reminder')}"
    options = [(o.number, o.text(language)) for o in checkin.options]
    listing = "\n".join(f"{number} {text}" for number, text in options)
    how = checkin_says(language, "reply_digit")
    sms = f"{marker}{heading}: {question}\n{listing}\n{how}" + (f"\n{ack.url}" if ack else "")
    if channel is Channel.SMS:
        return Message(body=sms, language=language)
    subject = marker + checkin_says(language, "subject", question=question)
    if channel is Channel.PUSH:
        return Message(body=sms, subject=subject, link=ack.url if ack else None)
    if channel is Channel.VOICE:
        spoken = " ".join(
            checkin_says(language, "option_spoken", number=n, text=escape(t, quote=False))
            for n, t in options
        )
        intro = f"{escape(marker + heading, quote=False)}. {escape(question, quote=False)}"
        said = f"{intro}<break time='1s'/>{spoken}<break time='1s'/>"
        return Message(
            body=f"<speak>{said}{checkin_says(language, 'voice')}</speak>", language=language
        )
    parts = [f"{marker}{question}", checkin_says(language, "email_intro"), listing]
    if ack:
        parts.append(checkin_says(language, "answer_by", url=ack.url))
    if checkin.exercise:
        parts.append(checkin_says(language, "exercise"))
    return Message(body="\n\n".join(parts) + "\n", subject=subject, language=language)


def lead_message(
    checkin: Checkin, channel: Channel, language: str, silent: Sequence[Contact]
) -> Message:
    names = ", ".join(person.name for person in silent[:MAX_NAMES])
    if len(silent) > MAX_NAMES:
        names += f" (+{len(silent) - MAX_NAMES})"
    marker = EXERCISE_MARKER if checkin.exercise else ""
    question = checkin.question_in(language)
    words = {"count": len(silent), "question": question, "names": names}
    text = marker + checkin_says(language, "lead_sms", **words)
    if channel is Channel.VOICE:
        return Message(body=f"<speak>{escape(text, quote=False)}</speak>", language=language)
    if channel is Channel.SMS:
        return Message(body=text, language=language)
    subject = marker + checkin_says(language, "lead_subject", **words)
    return Message(body=text + "\n", subject=subject, language=language)
