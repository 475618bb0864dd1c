"""Check-ins in memory, by the rules of ``storage/checkins.py``: the latest answer is replaced
only by one at the same time or later; a save needs the version read; closing leaves the open
list."""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.core.checkins.values import (
    AudienceMember,
    Checkin,
    CheckinAnswer,
    CheckinStatus,
)


@dataclass
class _Kept:
    checkin: Checkin
    audience: list[AudienceMember]
    latest: dict[str, CheckinAnswer] = field(default_factory=dict)
    answers: list[CheckinAnswer] = field(default_factory=list)


class MemoryCheckinStore:
    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}
        self._open: set[str] = set()

    def create(self, checkin: Checkin, audience: Sequence[AudienceMember]) -> None:
        if checkin.checkin_id in self._kept:
            raise RuntimeError(f"check-in {checkin.checkin_id} exists already")
        self._kept[checkin.checkin_id] = _Kept(checkin, list(audience))
        self._open.add(checkin.checkin_id)

    def get(self, checkin_id: str) -> Checkin | None:
        kept = self._kept.get(checkin_id)
        return kept.checkin if kept else None

    def audience(self, checkin_id: str) -> list[AudienceMember]:
        kept = self._kept.get(checkin_id)
        return list(kept.audience) if kept else []

    def record(self, checkin_id: str, answer: CheckinAnswer) -> CheckinAnswer | None:
        kept = self._kept.get(checkin_id)
        if kept is None:
            raise KeyError(f"no check-in {checkin_id}")
        insort(kept.answers, answer, key=lambda a: (a.at, a.answer_id))  # as the sort key orders
        previous = kept.latest.get(answer.contact_id)
        if previous is None or previous.at <= answer.at:
            kept.latest[answer.contact_id] = answer
        return previous

    def latest(self, checkin_id: str) -> dict[str, CheckinAnswer]:
        kept = self._kept.get(checkin_id)
        return dict(kept.latest) if kept else {}

    def latest_of(self, checkin_id: str, contact_ids: Sequence[str]) -> dict[str, CheckinAnswer]:
        latest = self.latest(checkin_id)
        return {c: latest[c] for c in contact_ids if c in latest}

    def answers(self, checkin_id: str) -> list[CheckinAnswer]:
        kept = self._kept.get(checkin_id)
        return list(kept.answers) if kept else []

    def save(self, checkin: Checkin, seen: int) -> bool:
        kept = self._kept.get(checkin.checkin_id)
        if kept is None or kept.checkin.version != seen:
            return False
        kept.checkin = checkin
        if checkin.status is CheckinStatus.CLOSED:
            self._open.discard(checkin.checkin_id)
        return True

    def open_ids(self) -> list[str]:
        return sorted(self._open)
