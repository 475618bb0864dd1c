"""Answers texted back per number per hour, in memory, by the rules of ``storage/guards.py``'s
``DynamoReplyBudget`` (contract suite: ``tests/functional/test_reply_budget.py``)."""

from __future__ import annotations

from datetime import datetime


class MemoryReplyBudget:
    def __init__(self) -> None:
        self._spent: dict[tuple[str, datetime], int] = {}
        self._helped: set[tuple[str, datetime]] = set()

    def spend(self, phone: str, hour: datetime, limit: int, first_help: bool = False) -> bool:
        window = (phone, hour)
        spent = self._spent.get(window, 0)
        if spent >= limit and not (first_help and window not in self._helped):
            return False
        self._spent[window] = spent + 1
        if first_help:
            self._helped.add(window)
        return True
