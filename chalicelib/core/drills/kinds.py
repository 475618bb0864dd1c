"""What a drill is: its kind, its state, its targets, its surprise window, its record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from chalicelib.core.messaging.planning import FULL_SCALE


class DrillKind(StrEnum):
    TABLETOP = "tabletop"  # a dry run: the plan is printed, nothing is sent
    SIMULATION = "simulation"  # the real path to the roster, every message an exercise
    FULL_SCALE = FULL_SCALE  # a simulation, plus the plan's statements (approved as any)
    SURPRISE = "surprise"  # a simulation at a secret moment inside a declared window

    @property
    def sends(self) -> bool:
        return self is not DrillKind.TABLETOP


class DrillState(StrEnum):
    SCHEDULED = "scheduled"  # a surprise waiting for its moment
    RUNNING = "running"  # its incident is open (or waits at a gate)
    FINISHED = "finished"  # its incident was resolved or cancelled; a tabletop at once
    CANCELLED = "cancelled"  # a surprise called off before it fired

    @property
    def is_active(self) -> bool:
        return self in (DrillState.SCHEDULED, DrillState.RUNNING)


@dataclass(frozen=True)
class DrillTarget:
    """``{role: crisis-core, acknowledged: 90%, within: 15m}``: a share of the roster (of those
    with ``role``; None: all of it) acknowledged within so many seconds of the start."""

    role: str | None
    share: float  # 0 < share <= 1
    within_seconds: int


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


@dataclass(frozen=True)
class Drill:
    """One drill in the register. ``fire_at``: a surprise's moment, which only the register's
    store holds: no answer of the API or the command shows it before it fired."""

    drill_id: str
    plan_id: str
    kind: DrillKind
    state: DrillState
    created_at: datetime
    created_by: str
    roster: tuple[str, ...]
    targets: tuple[DrillTarget, ...] = ()
    window: SurpriseWindow | None = None
    fire_at: datetime | None = None
    incident_id: str | None = None
    started_at: datetime | None = None  # when its incident opened (a surprise: when it fired)
    finished_at: datetime | None = None
    expires_at: datetime | None = None  # the playbook's retention, as its incident's records
    note: str = ""  # why it ended as it did (a tabletop: its summary)


@dataclass(frozen=True)
class RawCounts:
    """What happened to a drill's roster, until the reports judge it against its targets."""

    roster: int
    reached: int  # people at least one message was handed to AWS for
    delivered: int  # people at least one message was confirmed delivered to
    acknowledged: int
    declined: int
    silent: int  # reached, and neither acknowledged nor declined
    median_ack_seconds: float | None
