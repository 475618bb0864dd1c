"""What check-ins need: where a check-in, its audience and its answers are kept.

create()   -> the check-in, the people asked (in chunks) and its place among the open ones
record()   -> the answer kept for ever; it becomes the person's latest unless a later one is
              already there (answers may arrive out of order); returns the latest before it
save()     -> the check-in's state moves on (reminders, closing) if still at the version read
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.core.checkins.values import AudienceMember, Checkin, CheckinAnswer


class CheckinStore(Protocol):
    def create(self, checkin: Checkin, audience: Sequence[AudienceMember]) -> None: ...

    def get(self, checkin_id: str) -> Checkin | None: ...

    def audience(self, checkin_id: str) -> list[AudienceMember]:
        """Everyone asked, in the order they were asked."""
        ...

    def record(self, checkin_id: str, answer: CheckinAnswer) -> CheckinAnswer | None: ...

    def latest(self, checkin_id: str) -> dict[str, CheckinAnswer]:
        """Each person's answer that counts: their latest."""
        ...

    def latest_of(self, checkin_id: str, contact_ids: Sequence[str]) -> dict[str, CheckinAnswer]:
        """The latest answers of these people only (those who answered)."""
        ...

    def answers(self, checkin_id: str) -> list[CheckinAnswer]:
        """Every answer ever given, oldest first."""
        ...

    def save(self, checkin: Checkin, seen: int) -> bool:
        """Store the check-in's status, reminders and version if it is still at ``seen``."""
        ...

    def open_ids(self) -> list[str]: ...
