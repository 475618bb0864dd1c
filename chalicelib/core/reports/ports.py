"""What a drill's report asks of the drill register (the drills implement it; the reports
never import the drills): the drill's targets, and its plan's previous drill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.core.playbook.drill_request import AckTarget


@dataclass(frozen=True)
class PreviousDrill:
    """The plan's drill before this one that reached anyone (a tabletop sends nothing)."""

    drill_id: str
    incident_id: str
    started_at: datetime
    targets: tuple[AckTarget, ...] = ()
    roster: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DrillContext:
    drill_id: str
    targets: tuple[AckTarget, ...]
    roster: frozenset[str]  # who it may reach: its targets count these people only
    previous: PreviousDrill | None


class DrillLookup(Protocol):
    def context(self, drill_id: str) -> DrillContext | None:
        """The drill's targets and its plan's previous drill; None when the register no
        longer holds the drill (expired or erased)."""
        ...
