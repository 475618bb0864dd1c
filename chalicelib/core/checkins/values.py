"""What a check-in is: its question and options, who is asked, how, until when, and each
person's answers. Pure values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.core.model import Channel
from chalicelib.core.playbook.checkin_request import Audience, CheckinOption, Reminders
from chalicelib.core.wording.checkin_words import in_language

CHECKIN_TYPE = "tocsin.checkin"  # the type of the incident a check-in's messages travel on
HELP_TYPE = "checkin.help"  # the type of the incident an "I need help" opens


class CheckinStatus(StrEnum):
    OPEN = "open"  # asking, reminding
    CLOSED = "closed"  # past its deadline: answers still recorded, as late


class AnsweredBy(StrEnum):
    SMS = "sms"  # a digit texted back from the person's number
    LINK = "link"  # the person's link page
    API = "api"  # the API with the person's own key (the CLI too)


@dataclass(frozen=True)
class AudienceMember:
    """Someone asked, with the teams, roles and labels they had then (what the counts group
    by)."""

    contact_id: str
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checkin:
    checkin_id: str
    question: Mapping[str, str] = field(hash=False)
    options: tuple[CheckinOption, ...]
    audience: Audience
    channels: tuple[Channel, ...]
    chain: bool  # True: the first channel that works; False: all of them at once
    deadline: datetime
    reminders: Reminders
    responders: str  # the escalation policy an "I need help" pages (``@role:hr``: direct)
    exercise: bool
    created_at: datetime
    created_by: str
    status: CheckinStatus = CheckinStatus.OPEN
    reminded: int = 0  # reminder rounds sent (times + 1 once the leads were told)
    next_reminder_at: datetime | None = None
    version: int = 0
    asked: int = 0  # people asked
    unreachable: tuple[str, ...] = ()  # asked on no channel: no address, opted out...

    @property
    def incident_id(self) -> str:
        return incident_for_checkin(self.checkin_id)

    def option(self, number: int) -> CheckinOption | None:
        return next((o for o in self.options if o.number == number), None)

    def question_in(self, language: str) -> str:
        return in_language(self.question, language)

    def is_late(self, at: datetime) -> bool:
        return at > self.deadline


@dataclass(frozen=True)
class CheckinAnswer:
    """One answer, kept for ever with its time and channel; a person's latest counts."""

    answer_id: str
    contact_id: str
    option: int
    at: datetime
    by: AnsweredBy
    late: bool = False
    help_incident: str | None = None  # the incident this answer opened


def incident_for_checkin(checkin_id: str) -> str:
    return "inc_" + checkin_id.removeprefix("chk_")


def checkin_for_incident(incident_id: str) -> str:
    return "chk_" + incident_id.removeprefix("inc_")
