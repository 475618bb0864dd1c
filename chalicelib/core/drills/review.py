"""The register judged: each drill's targets checked against its incident's after-action
report (the reports' ``check_targets``), for the register (``GET /v1/drills``, ``tocsin drill
list``), a drill's report (``DrillRecords`` answers the reports' ``DrillLookup``) and the
analytics' drill pass rate.

What a drill shows, by its state:

    tabletop, a surprise cancelled before it fired ─▶ no results: nothing was sent
    scheduled (a surprise waiting)                  ─▶ every target pending
    running                                         ─▶ pass once met; pending until its time passed;
                                                       then fail
    finished (its incident resolved or cancelled)   ─▶ pass or fail, for good

The previous drill of a plan is the newest drill of the same plan before it in the register
(drills are listed by when they were made) that reached anyone and started before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.cursors import Position
from chalicelib.core.drills.counts import raw_counts
from chalicelib.core.drills.kinds import Drill, DrillState, RawCounts
from chalicelib.core.drills.ports import DrillRegister
from chalicelib.core.drills.runner import DrillDesk
from chalicelib.core.errors import NotFound
from chalicelib.core.ports import Clock
from chalicelib.core.reports.analytics import DrillResult
from chalicelib.core.reports.figures import Report
from chalicelib.core.reports.ports import DrillContext, PreviousDrill
from chalicelib.core.reports.report_desk import ReportDesk
from chalicelib.core.reports.targets import (
    TargetResult,
    TargetVerdict,
    all_passed,
    check_targets,
)

PAGE = 200
MOST_READ = 2000  # drills read looking back (the register keeps them as long as incidents)
LONGEST_WINDOW = timedelta(days=366)  # a surprise may fire this long after it was made


@dataclass(frozen=True)
class JudgedDrill:
    drill: Drill
    counts: RawCounts | None
    results: tuple[TargetResult, ...]  # () when it has no targets or was never judged

    @property
    def verdict(self) -> TargetVerdict | None:
        return all_passed(self.results)


def older(register: DrillRegister, drill: Drill) -> Iterator[Drill]:
    """The drills made before ``drill``, newest first, at most ``MOST_READ`` of them."""
    after: Position | None = Position(drill.created_at, drill.drill_id)
    read = 0
    while after is not None and read < MOST_READ:
        page = register.page(PAGE, after)
        yield from page.items
        read += len(page.items)
        after = page.next


class DrillRecords:
    """The reports' ``DrillLookup``: a drill's targets and its plan's previous drill."""

    def __init__(self, register: DrillRegister) -> None:
        self._register = register

    def context(self, drill_id: str) -> DrillContext | None:
        drill = self._register.get(drill_id)
        if drill is None:
            return None
        previous = next(
            (
                PreviousDrill(
                    other.drill_id,
                    other.incident_id,
                    other.started_at,
                    other.targets,
                    frozenset(other.roster),
                )
                for other in older(self._register, drill)
                if other.plan_id == drill.plan_id
                and other.incident_id is not None
                and other.started_at is not None
                and (drill.started_at is None or other.started_at < drill.started_at)
            ),
            None,
        )
        return DrillContext(drill.drill_id, drill.targets, frozenset(drill.roster), previous)


class DrillReview:
    def __init__(self, desk: DrillDesk, reports: ReportDesk, clock: Clock) -> None:
        self._desk = desk
        self._reports = reports
        self._clock = clock

    def judged(self, drill: Drill) -> JudgedDrill:
        """Its raw counts and its targets' results, from one reading of its incident."""
        if drill.incident_id is None or drill.started_at is None or not drill.targets:
            return JudgedDrill(drill, self._desk.counts(drill), self.results(drill))
        try:
            report, timeline = self._reports.report_and_timeline(drill.incident_id)
        except NotFound:  # its incident expired or was erased before the drill's record
            return JudgedDrill(drill, self._desk.counts(drill), ())
        counts = raw_counts(len(drill.roster), drill.started_at, timeline)
        return JudgedDrill(drill, counts, self._checked(drill, lambda: report))

    def results(self, drill: Drill) -> tuple[TargetResult, ...]:
        if drill.incident_id is None and drill.state is not DrillState.SCHEDULED:
            return ()  # a surprise called off before it fired
        incident_id = drill.incident_id or ""
        try:
            return self._checked(drill, lambda: self._reports.report(incident_id))
        except NotFound:  # its incident expired or was erased before the drill's record
            return ()

    def _checked(self, drill: Drill, report: Callable[[], Report]) -> tuple[TargetResult, ...]:
        if not drill.targets or not drill.kind.sends:
            return ()
        if drill.state is DrillState.SCHEDULED:
            return tuple(
                TargetResult(target, 0, 0, 0, TargetVerdict.PENDING) for target in drill.targets
            )
        return tuple(check_targets(report(), drill.targets, self._clock.now(), drill.roster))

    def results_since(self, since: datetime) -> list[DrillResult]:
        """Every drill with targets started since ``since`` whose verdict is final (pass or
        fail), for the analytics' pass rate."""
        found: list[DrillResult] = []
        after: Position | None = None
        read = 0
        while read < MOST_READ:
            page = self._desk.page(PAGE, after)
            for drill in page.items:
                if drill.started_at is None or drill.started_at < since:
                    continue
                verdict = all_passed(self.results(drill))
                if verdict in (TargetVerdict.PASSED, TargetVerdict.FAILED):
                    found.append(
                        DrillResult(
                            drill.started_at, drill.plan_id, verdict is TargetVerdict.PASSED
                        )
                    )
            read += len(page.items)
            last = page.items[-1] if page.items else None
            if page.next is None or (last and last.created_at < since - LONGEST_WINDOW):
                break
            after = page.next
        return sorted(found, key=lambda r: r.at)
