"""Check-ins and their answers as plain JSON-ready documents (what storage keeps), and back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.checkins.values import AnsweredBy, Checkin, CheckinAnswer, CheckinStatus
from chalicelib.core.model import Channel
from chalicelib.core.playbook.checkin_request import Audience, CheckinOption, Reminders


def checkin_document(checkin: Checkin) -> dict[str, Any]:
    every = checkin.reminders.every
    return {
        "checkin_id": checkin.checkin_id,
        "question": dict(checkin.question),
        "options": [
            {"number": o.number, "texts": dict(o.texts), "needs_help": o.needs_help}
            for o in checkin.options
        ],
        "audience": {
            "roles": list(checkin.audience.roles),
            "teams": list(checkin.audience.teams),
            "contacts": list(checkin.audience.contacts),
            "everyone": checkin.audience.everyone,
            "labels": list(checkin.audience.labels),
        },
        "channels": [c.value for c in checkin.channels],
        "chain": checkin.chain,
        "deadline": checkin.deadline.isoformat(),
        "reminders": {
            "every_seconds": int(every.total_seconds()) if every else None,
            "times": checkin.reminders.times,
            "then_lead": checkin.reminders.then_lead,
        },
        "responders": checkin.responders,
        "exercise": checkin.exercise,
        "created_at": checkin.created_at.isoformat(),
        "created_by": checkin.created_by,
        "status": checkin.status.value,
        "reminded": checkin.reminded,
        "next_reminder_at": _time(checkin.next_reminder_at),
        "version": checkin.version,
        "asked": checkin.asked,
        "unreachable": list(checkin.unreachable),
    }


def checkin_from_document(document: dict[str, Any]) -> Checkin:
    reminders = document["reminders"]
    every = reminders.get("every_seconds")
    audience = document["audience"]
    return Checkin(
        checkin_id=document["checkin_id"],
        question=dict(document["question"]),
        options=tuple(
            CheckinOption(int(o["number"]), dict(o["texts"]), bool(o["needs_help"]))
            for o in document["options"]
        ),
        audience=Audience(
            tuple(audience["roles"]),
            tuple(audience["teams"]),
            tuple(audience["contacts"]),
            bool(audience["everyone"]),
            tuple(audience.get("labels", [])),
        ),
        channels=tuple(Channel(c) for c in document["channels"]),
        chain=bool(document["chain"]),
        deadline=datetime.fromisoformat(document["deadline"]),
        reminders=Reminders(
            timedelta(seconds=int(every)) if every else None,
            int(reminders["times"]),
            bool(reminders["then_lead"]),
        ),
        responders=document["responders"],
        exercise=bool(document["exercise"]),
        created_at=datetime.fromisoformat(document["created_at"]),
        created_by=document["created_by"],
        status=CheckinStatus(document["status"]),
        reminded=int(document["reminded"]),
        next_reminder_at=_instant(document.get("next_reminder_at")),
        version=int(document["version"]),
        asked=int(document["asked"]),
        unreachable=tuple(document.get("unreachable", [])),
    )


def answer_document(answer: CheckinAnswer) -> dict[str, Any]:
    return {
        "answer_id": answer.answer_id,
        "contact_id": answer.contact_id,
        "option": answer.option,
        "at": answer.at.isoformat(),
        "by": answer.by.value,
        "late": answer.late,
        "help_incident": answer.help_incident,
    }


def answer_from_document(document: dict[str, Any]) -> CheckinAnswer:
    return CheckinAnswer(
        answer_id=document["answer_id"],
        contact_id=document["contact_id"],
        option=int(document["option"]),
        at=datetime.fromisoformat(document["at"]),
        by=AnsweredBy(document["by"]),
        late=bool(document.get("late", False)),
        help_incident=document.get("help_incident"),
    )


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
