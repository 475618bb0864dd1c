"""A drill request (``POST /v1/drills``, ``tocsin drill run``) read and checked: every bad
field is a 400 naming it, before anything is stored or sent.

    {"plan": "crisis-cell", "kind": "surprise",
     "roster": ["c-ada", "role:crisis-core", "team:site-aarhus"],
     "targets": [{"role": "crisis-core", "acknowledged": "90%", "within": "15m"}],
     "window": {"weekdays": ["mon", "tue"], "from": "02:00", "to": "05:00",
                "within": "30d", "timezone": "Europe/Copenhagen"}}

``window.until`` (a date-time) may stand instead of ``within``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import InvalidPolicy, InvalidRequest
from chalicelib.core.fields import (
    read_choice,
    read_clock_time,
    read_duration,
    read_instant,
    read_list,
    read_object,
    read_string,
    read_timezone,
)


class DrillKind(StrEnum):
    TABLETOP = "tabletop"  # a dry run: the plan is printed, nothing is sent
    SIMULATION = "simulation"  # the real path to the roster, every message an exercise
    FULL_SCALE = "full-scale"  # a simulation, plus the plan's statements (approved as any)
    SURPRISE = "surprise"  # a simulation at a secret moment inside a declared window

    @property
    def sends(self) -> bool:
        return self is not DrillKind.TABLETOP


@dataclass(frozen=True)
class AckTarget:
    """A drill's acknowledgement target, ``{role: crisis-core, acknowledged: 90%, within: 15m}``:
    a share of the people asked (those with ``role``; None: the whole roster) acknowledged
    within so many seconds of the drill's start. The drills declare it, the reports check it
    (``reports/targets.check_targets``)."""

    role: str | None
    share: float  # 0 < share <= 1
    within_seconds: int

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError("a target's share must be more than 0% and at most 100%")
        if self.within_seconds <= 0:
            raise ValueError("a target's time must be positive")

    def describe(self) -> str:
        who = self.role or "the whole roster"
        return f"{who}: {self.share:.0%} acknowledged within {self.within_seconds}s"


@dataclass(frozen=True)
class SurpriseWindow:
    """Weekdays (0 Monday .. 6 Sunday) and a time of day (``start`` to ``end``; past midnight
    when ``end`` is earlier) in ``timezone``, from the request until ``until``."""

    weekdays: frozenset[int]
    start: time
    end: time
    timezone: str
    until: datetime

    def describe(self) -> str:
        days = ",".join(_DAYS[day] for day in sorted(self.weekdays))
        return (
            f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone} "
            f"until {self.until.isoformat()}"
        )


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {name: index for index, name in enumerate(_DAYS)}


MAX_ROSTER = 10_000  # entries as given; roles and teams may stand for more people
MAX_TARGETS = 20
_ENTRY = re.compile(r"(?:(role|team):)?([A-Za-z0-9][A-Za-z0-9_-]{0,63})")
_PLAN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_FIELDS = frozenset({"plan", "kind", "roster", "targets", "window"})
_SHARE = re.compile(r"(\d{1,3}(?:\.\d+)?)%")


@dataclass(frozen=True)
class RosterEntry:
    """A person by contact id, or everyone holding a role or in a team when the drill starts."""

    kind: str  # "contact", "role" or "team"
    name: str


@dataclass(frozen=True)
class DrillRequest:
    plan_id: str
    kind: DrillKind
    roster: tuple[RosterEntry, ...]
    targets: tuple[AckTarget, ...] = ()
    window: SurpriseWindow | None = None


def parse_drill_request(document: Any, now: datetime) -> DrillRequest:
    """The request in ``document``; InvalidRequest naming the first bad field."""
    try:
        return _parse(document, now)
    except InvalidPolicy as invalid:
        raise InvalidRequest(invalid.path, invalid.message) from None


def check_drill_request(document: Any, now: datetime, path: str) -> DrillRequest:
    """The request in ``document`` as a playbook declares it; InvalidPolicy under ``path``."""
    try:
        return _parse(document, now)
    except InvalidPolicy as invalid:
        where = path if invalid.path == "$" else f"{path}.{invalid.path}"
        raise InvalidPolicy(where, invalid.message) from None


def _parse(document: Any, now: datetime) -> DrillRequest:
    if not isinstance(document, Mapping):
        raise InvalidPolicy("$", "the request must be a JSON object")
    unknown = sorted(str(name) for name in set(document) - _FIELDS)
    if unknown:
        raise InvalidPolicy(unknown[0], "unknown field")
    for name in ("plan", "kind", "roster"):
        if name not in document:
            raise InvalidPolicy(name, "is required")
    fields = document
    plan = read_string(fields["plan"], "plan")
    if not _PLAN.fullmatch(plan):
        raise InvalidPolicy("plan", f"no response plan {plan!r}")
    kind = read_choice(fields["kind"], "kind", DrillKind)
    roster = _roster(fields["roster"])
    targets = tuple(
        _target(item, f"targets[{index}]")
        for index, item in enumerate(read_list(fields.get("targets", []), "targets"))
    )
    if len(targets) > MAX_TARGETS:
        raise InvalidPolicy("targets", f"at most {MAX_TARGETS}")
    window = fields.get("window")
    if kind is DrillKind.SURPRISE and window is None:
        raise InvalidPolicy("window", "is required for a surprise drill")
    if kind is not DrillKind.SURPRISE and window is not None:
        raise InvalidPolicy("window", "only a surprise drill has a window")
    read_window = _window(window, now) if window is not None else None
    return DrillRequest(plan, kind, roster, targets, read_window)


def _roster(value: Any) -> tuple[RosterEntry, ...]:
    items = read_list(value, "roster")
    if not items:
        raise InvalidPolicy("roster", "is empty: name who the drill may reach")
    if len(items) > MAX_ROSTER:
        raise InvalidPolicy("roster", f"at most {MAX_ROSTER} entries")
    entries = []
    for index, item in enumerate(items):
        match = _ENTRY.fullmatch(read_string(item, f"roster[{index}]"))
        if match is None:
            raise InvalidPolicy(
                f"roster[{index}]", "must be a contact id, role:<role> or team:<team>"
            )
        entries.append(RosterEntry(match.group(1) or "contact", match.group(2)))
    return tuple(dict.fromkeys(entries))


def _target(value: Any, path: str) -> AckTarget:
    fields = read_object(value, path, {"acknowledged", "within"}, {"role"})
    role = read_string(fields["role"], f"{path}.role") if fields.get("role") is not None else None
    share_text = read_string(fields["acknowledged"], f"{path}.acknowledged").strip()
    match = _SHARE.fullmatch(share_text)
    share = float(match.group(1)) / 100 if match else 0.0
    if not 0 < share <= 1:
        raise InvalidPolicy(f"{path}.acknowledged", "must be a share such as '90%' (1% to 100%)")
    within = read_duration(fields["within"], f"{path}.within")
    return AckTarget(role, share, int(within.total_seconds()))


def _window(value: Any, now: datetime) -> SurpriseWindow:
    path = "window"
    fields = read_object(value, path, {"from", "to"}, {"weekdays", "within", "until", "timezone"})
    zone = read_timezone(fields.get("timezone", "UTC"), f"{path}.timezone")
    names = read_list(fields.get("weekdays", list(DAY_NAMES)), f"{path}.weekdays")
    days = set()
    for index, name in enumerate(names):
        if not isinstance(name, str) or name.lower()[:3] not in DAY_NAMES:
            raise InvalidPolicy(f"{path}.weekdays[{index}]", "must be a day such as 'mon'")
        days.add(DAY_NAMES[name.lower()[:3]])
    if not days:
        raise InvalidPolicy(f"{path}.weekdays", "must name at least one day")
    start = read_clock_time(fields["from"], f"{path}.from")
    end = read_clock_time(fields["to"], f"{path}.to")
    if start.replace(second=0, microsecond=0) == end.replace(second=0, microsecond=0):
        raise InvalidPolicy(f"{path}.to", "the window is shorter than a minute")
    if ("within" in fields) == ("until" in fields):
        raise InvalidPolicy(path, "give either 'within' (such as '30d') or 'until'")
    until = (
        now + read_duration(fields["within"], f"{path}.within")
        if "within" in fields
        else read_instant(fields["until"], f"{path}.until", zone)
    )
    if until <= now:
        raise InvalidPolicy(f"{path}.until", "is in the past")
    if until - now > timedelta(days=366):
        raise InvalidPolicy(f"{path}.until", "must be within a year")
    return SurpriseWindow(frozenset(days), start, end, zone, until)
