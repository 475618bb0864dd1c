"""A digit texted back answers the check-in that asked the person ("2"), or, when two are open,
the one whose code comes first ("4821 2"). Which check-ins asked whom comes from the passes the
dispatcher issued with each question (the same passes acknowledgement codes use: a check-in's
code is its pass's 4-digit code, so a digit alone never clashes with "1234 ACK").

A bare digit from someone with two open check-ins records nothing: the reply names both, with
their codes, and how to choose. A digit that is not an option records nothing either, and
says which are. After the deadline, an answer is recorded as late.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.core.checkins.ports import CheckinStore
from chalicelib.core.checkins.roll_call import CheckinDesk, NotAnOption
from chalicelib.core.checkins.values import (
    AnsweredBy,
    Checkin,
    CheckinStatus,
    checkin_for_incident,
)
from chalicelib.core.messaging.passes import ResponderPass, ResponderRegistry
from chalicelib.core.ports import Clock
from chalicelib.core.response.ports import CheckinReply
from chalicelib.core.wording.checkin_words import checkin_says


class CheckinSmsAnswers:
    def __init__(
        self, desk: CheckinDesk, store: CheckinStore, registry: ResponderRegistry, clock: Clock
    ) -> None:
        self._desk = desk
        self._store = store
        self._registry = registry
        self._clock = clock

    def reply(
        self, owners: Sequence[str], code: str | None, digit: int, language: str
    ) -> CheckinReply | None:
        mine = self._checkins_of(owners)
        if not mine:
            return None
        if code is not None:
            mine = [(p, c) for p, c in mine if p.code == code]
            if not mine:
                return CheckinReply(checkin_says(language, "none_open"), owners[0], None, False)
        open_ones = [(p, c) for p, c in mine if c.status is CheckinStatus.OPEN]
        candidates = open_ones or mine[:1]  # none open: the latest, recorded as late
        if len(candidates) > 1:
            listing = "; ".join(f"{p.code}: {c.question_in(language)}" for p, c in candidates)
            example = f"{candidates[0][0].code} {digit}"
            text = checkin_says(
                language, "several", count=len(candidates), listing=listing, example=example
            )
            return CheckinReply(text, owners[0], None, False)
        found, checkin = candidates[0]
        try:
            answered = self._desk.answer(
                checkin.checkin_id, found.contact_id, digit, AnsweredBy.SMS, asked=True
            )
        except NotAnOption as error:
            text = checkin_says(language, "not_an_option", digit=digit, choices=error.choices)
            return CheckinReply(text, found.contact_id, checkin.incident_id, False)
        option = answered.option.text(language)
        key = "recorded_late" if answered.answer.late else "recorded"
        if not answered.changed and not answered.answer.late:
            key = "unchanged"
        text = checkin_says(language, key, option=option)
        if answered.option.needs_help:
            text = f"{text} {checkin_says(language, 'help_on_way')}"
        return CheckinReply(text, found.contact_id, checkin.incident_id, True)

    def _checkins_of(self, owners: Sequence[str]) -> list[tuple[ResponderPass, Checkin]]:
        """The check-ins that asked these people and can still be answered, newest first."""
        now = self._clock.now()
        found: list[tuple[ResponderPass, Checkin]] = []
        for contact_id in owners:
            for held in self._registry.for_contact(contact_id):
                if held.expired(now) or not held.incident_id.startswith("inc_"):
                    continue
                checkin = self._store.get(checkin_for_incident(held.incident_id))
                if checkin is not None:
                    found.append((held, checkin))
        return sorted(found, key=lambda pair: pair[1].created_at, reverse=True)
