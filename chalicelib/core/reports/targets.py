"""A drill's acknowledgement targets, checked against its report (the drills work parses the
playbook's ``targets`` into these; ``role`` absent means the whole roster asked).

    targets:
      - {role: crisis-core, acknowledged: 90%, within: 15m}

A target passes when at least ``share`` of the people asked (in the role) acknowledged within
``within_seconds`` of the start (the trigger: the drill's start), as the drills' ``DrillTarget``
says; a role nobody was asked in fails (nothing to show).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.core.reports.figures import Confirmation, Report


@dataclass(frozen=True)
class AckTarget:
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
class TargetResult:
    target: AckTarget
    asked: int
    in_time: int  # acknowledged within the target's time
    needed: int  # the fewest people in time that pass (ceil(share x asked))
    passed: bool

    @property
    def achieved(self) -> float | None:
        return self.in_time / self.asked if self.asked else None


def check_targets(report: Report, targets: Sequence[AckTarget]) -> list[TargetResult]:
    results = []
    for target in targets:
        people = [p for p in report.people if target.role is None or target.role in p.roles]
        start = report.timings.triggered_at
        in_time = sum(
            1
            for p in people
            if p.confirmation is Confirmation.ACKNOWLEDGED
            and p.answered_at is not None
            and (p.answered_at - start).total_seconds() <= target.within_seconds
        )
        needed = math.ceil(round(target.share * len(people), 9))
        results.append(
            TargetResult(target, len(people), in_time, needed, bool(people) and in_time >= needed)
        )
    return results
