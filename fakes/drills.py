"""The drill register in memory (``DynamoDrillRegister``'s fake; one contract suite runs
against both: ``tests/functional/test_drill_register.py``)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.cursors import Position
from chalicelib.core.drills.kinds import Drill, DrillState
from chalicelib.core.drills.ports import DrillPage


class MemoryDrillRegister:
    def __init__(self) -> None:
        self._drills: dict[str, Drill] = {}
        self._slots: dict[str, str] = {}  # plan id: the drill holding it

    def begin(self, drill: Drill, replacing: str | None) -> bool:
        if drill.state.is_active:
            if self._slots.get(drill.plan_id) not in (None, replacing):
                return False
            self._slots[drill.plan_id] = drill.drill_id
        self._drills[drill.drill_id] = drill
        return True

    def holder(self, plan_id: str) -> str | None:
        return self._slots.get(plan_id)

    def get(self, drill_id: str) -> Drill | None:
        return self._drills.get(drill_id)

    def save(self, drill: Drill) -> None:
        self._drills[drill.drill_id] = drill
        if not drill.state.is_active and self._slots.get(drill.plan_id) == drill.drill_id:
            del self._slots[drill.plan_id]

    def page(self, limit: int, after: Position | None) -> DrillPage:
        ordered = sorted(self._drills.values(), key=lambda d: d.drill_id, reverse=True)
        if after is not None:
            ordered = [drill for drill in ordered if drill.drill_id < after.item_id]
        items = tuple(ordered[:limit])
        more = len(ordered) > limit
        last = items[-1] if items else None
        return DrillPage(items, Position(last.created_at, last.drill_id) if more and last else None)

    def due(self, now: datetime) -> list[Drill]:
        return [
            drill
            for drill in sorted(self._drills.values(), key=lambda d: d.drill_id)
            if drill.state is DrillState.SCHEDULED and drill.fire_at and drill.fire_at <= now
        ]
