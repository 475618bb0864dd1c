"""The drill register's port: the drills, and which drill holds each plan's slot (one drill
that sends per plan at a time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.core.cursors import Position
from chalicelib.core.drills.kinds import Drill


@dataclass(frozen=True)
class DrillPage:
    """Drills newest first; ``next``: where the next page starts (None: nothing older)."""

    items: tuple[Drill, ...]
    next: Position | None


class DrillRegister(Protocol):
    def begin(self, drill: Drill, replacing: str | None) -> bool:
        """Store a new drill. One that is active also takes its plan's slot, which must be free
        or held by ``replacing`` (a drill the caller found finished); False, storing nothing,
        when another drill holds it. Both writes happen together or not at all."""
        ...

    def holder(self, plan_id: str) -> str | None:
        """The drill holding the plan's slot (it may have finished since: ask its incident)."""
        ...

    def get(self, drill_id: str) -> Drill | None: ...

    def save(self, drill: Drill) -> None:
        """Store the drill's new state; one no longer active frees its plan's slot if it holds
        it."""
        ...

    def page(self, limit: int, after: Position | None) -> DrillPage:
        """Newest first."""
        ...

    def due(self, now: datetime) -> list[Drill]:
        """Scheduled surprise drills whose moment has come."""
        ...
