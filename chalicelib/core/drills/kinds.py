"""What a drill is in the register: its state, its record, its raw counts (its kind, targets
and window are the request's: ``playbook/drill_request.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.core.playbook.drill_request import AckTarget, DrillKind, SurpriseWindow


class DrillState(StrEnum):
    SCHEDULED = "scheduled"  # a surprise waiting for its moment
    RUNNING = "running"  # its incident is open (or waits at a gate)
    FINISHED = "finished"  # its incident was resolved or cancelled; a tabletop at once
    CANCELLED = "cancelled"  # a surprise called off before it fired

    @property
    def is_active(self) -> bool:
        return self in (DrillState.SCHEDULED, DrillState.RUNNING)


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
    targets: tuple[AckTarget, ...] = ()
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
