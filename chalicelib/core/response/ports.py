"""What answering needs: who was reached for an incident, who owns a phone number, and how many
answers a number has been texted this hour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.core.credentials import Answerer
from chalicelib.core.model import (
    Channel,
    Contact,
)


class ReachedLedger(Protocol):
    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        """(contact, channel) of every alert handed to AWS for the incident."""
        ...


class PhoneOwners(Protocol):
    """Who sent an SMS: the people with a number, and their opt-outs."""

    def owners_of(self, phone: str) -> list[str]: ...

    def opt_out(self, contact_id: str, channel: Channel) -> bool: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...


class GateAnswers(Protocol):
    """The verification gate (``activation/verification.py``): while an activation waits
    there, an approver's acknowledgement approves it and their decline rejects it."""

    def approve(self, incident_id: str, who: Answerer) -> int: ...

    def reject(self, incident_id: str, who: Answerer, reason: str) -> None: ...


class ReplyBudget(Protocol):
    """Answers texted back to one number, counted per clock hour, so an auto-responder that
    answers every text cannot start a loop: past the limit, Tocsin stays silent."""

    def spend(self, phone: str, hour: datetime, limit: int, first_help: bool = False) -> bool:
        """Count one more answer to ``phone`` in the hour starting at ``hour``: True when it
        may be sent (fewer than ``limit`` sent in that hour, or, with ``first_help``, no
        answer to a HELP sent in that hour yet: carriers require HELP to be answered), False
        when it must not be (nothing is counted then)."""
        ...


@dataclass(frozen=True)
class CheckinReply:
    """What a digit texted back did to a check-in, and what to text back."""

    text: str
    contact_id: str
    incident_id: str | None  # the check-in's incident (None: it was unclear which)
    changed: bool  # an answer was recorded: confirmed whatever the hour's answers


class CheckinReplies(Protocol):
    """Digits texted back answer check-ins ("2", or "4821 2" with the check-in's code)."""

    def reply(
        self, owners: Sequence[str], code: str | None, digit: int, language: str
    ) -> CheckinReply | None:
        """None: none of the number's people has a check-in to answer."""
        ...
