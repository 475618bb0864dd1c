"""On-call coverage and overrides, for the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.core.ids import new_ulid
from chalicelib.core.oncall.shifts import (
    MAX_RANGE,
    Override,
    OverrideSource,
    Shift,
    coverage,
    gaps,
    on_call,
)
from chalicelib.core.playbook.rotations import OnCallSchedule
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory

MAX_OVERRIDE = timedelta(days=31)


class OverrideStore(OverrideSource, Protocol):
    def add(self, override: Override) -> None: ...

    def delete(self, schedule_id: str, override_id: str, around: datetime) -> Override: ...


@dataclass(frozen=True)
class Coverage:
    schedule: OnCallSchedule
    start: datetime
    end: datetime
    shifts: tuple[Shift, ...]
    now: tuple[str | None, str]  # who is on call right now, and why
    unknown_members: tuple[str, ...]  # contact ids the schedule names that are not contacts

    @property
    def gaps(self) -> tuple[Shift, ...]:
        return tuple(gaps(self.shifts))


class OnCall:
    def __init__(
        self,
        playbooks: PlaybookSource,
        overrides: OverrideStore,
        directory: ContactDirectory,
        clock: Clock,
    ) -> None:
        self._playbooks = playbooks
        self._overrides = overrides
        self._directory = directory
        self._clock = clock

    def schedule(self, schedule_id: str) -> OnCallSchedule:
        schedule = self._playbooks.load().oncall.get(schedule_id)
        if schedule is None:
            raise NotFound(f"no on-call schedule {schedule_id!r}")
        return schedule

    def coverage(
        self, schedule_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> Coverage:
        """Who is on call from ``start`` (now) to ``end`` (a week later), and the gaps."""
        schedule = self.schedule(schedule_id)
        now = self._clock.now()
        start = start or now
        end = end or start + timedelta(days=7)
        if end <= start:
            raise InvalidRequest("to", "must be after from")
        if end - start > MAX_RANGE:
            raise InvalidRequest("to", f"ask for at most {MAX_RANGE.days} days at a time")
        overrides = self._overrides.overrides(schedule_id, min(start, now), max(end, now))
        planned = {o.contact_id for o in schedule.overrides}
        people = set(schedule.members) | planned | {o.contact_id for o in overrides}
        known = self._directory.get_contacts(sorted(people))
        return Coverage(
            schedule=schedule,
            start=start,
            end=end,
            shifts=tuple(coverage(schedule, overrides, start, end)),
            now=on_call(schedule, overrides, now),
            unknown_members=tuple(sorted(people - set(known))),
        )

    def add_override(
        self,
        schedule_id: str,
        contact_id: str,
        start: datetime,
        end: datetime,
        covers: str | None,
        created_by: str,
    ) -> Override:
        schedule = self.schedule(schedule_id)
        if end <= start:
            raise InvalidRequest("end", "must be after start")
        if end - start > MAX_OVERRIDE:
            raise InvalidRequest("end", "an override may last at most 31 days")
        if end <= self._clock.now():
            raise InvalidRequest("end", "is in the past")
        if covers is not None and covers not in schedule.members:
            raise InvalidRequest("covers", f"{covers} is not in schedule {schedule_id}")
        if contact_id not in self._directory.get_contacts([contact_id]):
            raise InvalidRequest("contact_id", f"no contact {contact_id!r}")
        override = Override(
            override_id=f"ovr_{new_ulid(self._clock.now())}",
            schedule_id=schedule_id,
            contact_id=contact_id,
            start=start,
            end=end,
            covers=covers,
            created_by=created_by,
        )
        self._overrides.add(override)
        return override

    def remove_override(self, schedule_id: str, override_id: str) -> Override:
        self.schedule(schedule_id)
        return self._overrides.delete(schedule_id, override_id, self._clock.now())
