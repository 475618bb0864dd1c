"""A drill's acknowledgement targets (the playbook's ``AckTarget``: the drills declare them),
checked against its report; ``role`` absent means the whole roster asked.

    targets:
      - {role: crisis-core, acknowledged: 90%, within: 15m}

A target passes when at least ``share`` of the people asked (in the role, on the drill's roster:
the plan may ask people the roster leaves out) acknowledged within
``within_seconds`` of the start (the trigger: the drill's start); a role nobody was asked in
fails (nothing to show). While the drill runs (its incident neither resolved nor cancelled) a
target not yet met is ``pending`` until its time has passed: someone may still acknowledge in
time. A target met is met for good (an acknowledgement is never taken back).

Beside the verdict each result measures the share acknowledged in time and the time the
target's share was reached (the ``needed``-th acknowledgement, even a late one): "90 % by 4m 10s".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.core.playbook.drill_request import AckTarget
from chalicelib.core.reports.figures import Confirmation, PersonOutcome, Report

ENDED = ("resolved", "cancelled")  # a drill whose incident is so has ended


class TargetVerdict(StrEnum):
    PASSED = "pass"
    FAILED = "fail"
    PENDING = "pending"  # the drill runs and the target's time has not passed yet


@dataclass(frozen=True)
class TargetResult:
    target: AckTarget
    asked: int
    in_time: int  # acknowledged within the target's time
    needed: int  # the fewest people in time that pass (ceil(share x asked))
    verdict: TargetVerdict
    reached_after: float | None = None  # seconds from the start to the needed-th acknowledgement

    @property
    def passed(self) -> bool:
        return self.verdict is TargetVerdict.PASSED

    @property
    def achieved(self) -> float | None:
        return self.in_time / self.asked if self.asked else None


def on_roster(report: Report, roster: Collection[str] | None) -> list[PersonOutcome]:
    """The people the report asked who were on the drill's roster (None: all of them). The plan
    may ask others the roster leaves out: they were never sent anything, and a drill is not
    judged on them."""
    return [p for p in report.people if roster is None or p.contact_id in roster]


def check_targets(
    report: Report,
    targets: Sequence[AckTarget],
    now: datetime | None = None,
    roster: Collection[str] | None = None,
) -> list[TargetResult]:
    """Each target's result over the people asked on ``roster``; ``now`` (None: the drill is
    judged as ended) decides whether a running drill's unmet target is still pending."""
    start = report.timings.triggered_at
    running = now is not None and report.status not in ENDED
    results = []
    asked = on_roster(report, roster)
    for target in targets:
        people = [p for p in asked if target.role is None or target.role in p.roles]
        waits = sorted(
            (p.answered_at - start).total_seconds()
            for p in people
            if p.confirmation is Confirmation.ACKNOWLEDGED and p.answered_at is not None
        )
        in_time = sum(1 for wait in waits if wait <= target.within_seconds)
        needed = math.ceil(round(target.share * len(people), 9))
        met = bool(people) and in_time >= needed
        if met:
            verdict = TargetVerdict.PASSED
        elif running and now is not None and (now - start).total_seconds() < target.within_seconds:
            verdict = TargetVerdict.PENDING
        else:
            verdict = TargetVerdict.FAILED
        reached = waits[needed - 1] if people and needed <= len(waits) else None
        results.append(TargetResult(target, len(people), in_time, needed, verdict, reached))
    return results


def all_passed(results: Sequence[TargetResult]) -> TargetVerdict | None:
    """A drill's overall verdict: pass when every target passed, fail when one failed, else
    pending; None without targets."""
    if not results:
        return None
    verdicts = {r.verdict for r in results}
    if TargetVerdict.FAILED in verdicts:
        return TargetVerdict.FAILED
    return TargetVerdict.PENDING if TargetVerdict.PENDING in verdicts else TargetVerdict.PASSED
