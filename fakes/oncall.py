"""On-call overrides in memory, by the rules of ``storage/overrides.py``: an override is found
by the instants it overlaps, looking back at most ``MAX_OVERRIDE`` from the range's start (the
longest an override may last), and comes back in UTC, ordered by start."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.core.errors import NotFound
from chalicelib.core.oncall.coverage import MAX_OVERRIDE
from chalicelib.core.oncall.shifts import Override

_KEEP = timedelta(days=90)


class MemoryOverrideStore:
    def __init__(self) -> None:
        self._overrides: dict[tuple[str, str], Override] = {}

    def add(self, override: Override) -> None:
        utc = replace(
            override, start=override.start.astimezone(UTC), end=override.end.astimezone(UTC)
        )
        self._overrides[(override.schedule_id, override.override_id)] = utc

    def overrides(self, schedule_id: str, start: datetime, end: datetime) -> list[Override]:
        low = (start - MAX_OVERRIDE).astimezone(UTC).isoformat()
        high = end.astimezone(UTC).isoformat()
        found = sorted(
            (o for (schedule, _), o in self._overrides.items() if schedule == schedule_id),
            key=lambda o: f"{o.start.isoformat()}#{o.override_id}",
        )
        return [
            o
            for o in found
            if low <= f"{o.start.isoformat()}#{o.override_id}" <= high
            and o.start < end
            and o.end > start
        ]

    def delete(self, schedule_id: str, override_id: str, around: datetime) -> Override:
        for override in self.overrides(schedule_id, around - _KEEP, around + _KEEP):
            if override.override_id == override_id:
                del self._overrides[(schedule_id, override_id)]
                return override
        raise NotFound(f"no override {override_id!r} on schedule {schedule_id!r}")
