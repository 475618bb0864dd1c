"""Drills the playbook repeats on a schedule (``policies/drills.yaml``): the same request as
``POST /v1/drills``, started by the minute tick at each firing of its wall-clock schedule.

    drills:
      - id: monthly-crisis-core
        every: week            # day or week, as scheduled triggers (schedules.yaml)
        day: monday
        at: "09:00"
        timezone: Europe/Copenhagen
        drill: {plan: crisis-cell, kind: surprise, roster: [role:executive],
                targets: [{acknowledged: 90%, within: 15m}],
                window: {weekdays: [tue, wed], from: "02:00", to: "05:00", within: 7d,
                         timezone: Europe/Copenhagen}}

A surprise's window is counted from each firing (``within``; ``until`` is refused here: it
would lie in the past after the first). Checked whole when the playbook is validated, against
the plans, roles and teams it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    read_clock_time,
    read_identifier,
    read_object,
    read_string,
    read_timezone,
)
from chalicelib.core.playbook.drill_request import DrillRequest, check_drill_request
from chalicelib.core.playbook.triggers import PERIODS, WEEKDAYS, ScheduledTrigger

# Validation reads a surprise's window as if the schedule fired now; any instant will do.
_SAMPLE_NOW = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class ScheduledDrill:
    drill_id: str  # the schedule's id
    timing: ScheduledTrigger  # when it fires (its event is empty: it starts a drill instead)
    request: Mapping[str, Any] = field(hash=False)  # read again at each firing (its window)
    description: str = ""

    def request_at(self, now: datetime) -> DrillRequest:
        return check_drill_request(self.request, now, f"drills[{self.drill_id}].drill")


def parse_scheduled_drill(
    document: Any,
    path: str,
    plans: set[str],
    roles: Mapping[str, str],
    teams: Mapping[str, str],
) -> ScheduledDrill:
    fields = read_object(
        document,
        path,
        {"id", "every", "at", "timezone", "drill"},
        {"day", "description"},
    )
    drill_id = read_identifier(fields["id"], f"{path}.id")
    every = read_string(fields["every"], f"{path}.every")
    if every not in PERIODS:
        raise InvalidPolicy(f"{path}.every", f"must be one of {', '.join(PERIODS)}")
    weekday = None
    if every == "week":
        day = str(fields.get("day", "")).lower()
        if day not in WEEKDAYS:
            raise InvalidPolicy(f"{path}.day", f"a weekly drill needs a day: {', '.join(WEEKDAYS)}")
        weekday = WEEKDAYS.index(day)
    elif "day" in fields:
        raise InvalidPolicy(f"{path}.day", "only weekly drills take a day")
    timing = ScheduledTrigger(
        schedule_id=f"drill-{drill_id}",
        every=every,
        at=read_clock_time(fields["at"], f"{path}.at"),
        timezone=read_timezone(fields["timezone"], f"{path}.timezone"),
        event={},
        weekday=weekday,
    )
    request = fields["drill"]
    window = request.get("window") if isinstance(request, Mapping) else None
    if isinstance(window, Mapping) and "until" in window:
        raise InvalidPolicy(f"{path}.drill.window.until", "a repeated drill takes 'within'")
    checked = check_drill_request(request, _SAMPLE_NOW, f"{path}.drill")
    if checked.plan_id not in plans:
        raise InvalidPolicy(f"{path}.drill.plan", f"unknown plan {checked.plan_id!r}")
    for index, entry in enumerate(checked.roster):
        known = {"role": roles, "team": teams}.get(entry.kind)
        if known is not None and entry.name not in known:
            raise InvalidPolicy(
                f"{path}.drill.roster[{index}]", f"unknown {entry.kind} {entry.name!r}"
            )
    description = fields.get("description", "")
    return ScheduledDrill(drill_id, timing, dict(request), str(description))
