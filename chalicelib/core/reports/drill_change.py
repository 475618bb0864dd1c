"""The change since the previous drill of the same plan, figure by figure: the two reports
side by side (previous, now), each over the people asked on its own roster. Pure.

The figures: people asked, the share who acknowledged, declined and silent people, the median,
p90 and slowest time to acknowledge (from each person's first alert, as the report counts it),
the first acknowledgement after the start, and how many targets passed (each drill against its
own targets, which may differ).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.core.reports.figures import AckStats, Confirmation, Report
from chalicelib.core.reports.reckoning import ack_stats
from chalicelib.core.reports.targets import TargetResult, on_roster


class Unit(StrEnum):
    COUNT = "count"
    SHARE = "share"  # 0..1
    SECONDS = "seconds"


@dataclass(frozen=True)
class FigureChange:
    figure: str
    unit: Unit
    previous: float | None
    now: float | None

    @property
    def change(self) -> float | None:
        return None if self.previous is None or self.now is None else self.now - self.previous


@dataclass(frozen=True)
class DrillChange:
    previous_drill_id: str
    previous_incident_id: str
    previous_started_at: str  # ISO 8601
    figures: tuple[FigureChange, ...]


@dataclass(frozen=True)
class _Figures:
    """One drill's figures over the people asked on its roster."""

    asked: int
    acknowledged: int
    declined: int
    silent: int
    times: AckStats
    first_acknowledgement: float | None  # seconds after the start


def _figures(report: Report, roster: Collection[str]) -> _Figures:
    people = on_roster(report, roster or None)
    acked = [p for p in people if p.confirmation is Confirmation.ACKNOWLEDGED]
    answered = [p.answered_at for p in acked if p.answered_at is not None]
    return _Figures(
        asked=len(people),
        acknowledged=len(acked),
        declined=sum(1 for p in people if p.confirmation is Confirmation.DECLINED),
        silent=sum(1 for p in people if p.confirmation is Confirmation.SILENT),
        times=ack_stats(
            [p.seconds_to_acknowledge for p in acked if p.seconds_to_acknowledge is not None]
        ),
        first_acknowledgement=report.timings.since_trigger(min(answered)) if answered else None,
    )


def drill_change(
    previous: tuple[Report, Collection[str]],
    previous_results: Sequence[TargetResult],
    now: tuple[Report, Collection[str]],
    results: Sequence[TargetResult],
    previous_drill_id: str,
) -> DrillChange:
    """Each report with its drill's roster (empty: everyone it asked)."""
    before, after = _figures(*previous), _figures(*now)

    def row(figure: str, unit: Unit, read: Callable[[_Figures], float | None]) -> FigureChange:
        return FigureChange(figure, unit, read(before), read(after))

    def passed(found: Sequence[TargetResult]) -> float | None:
        return float(sum(1 for r in found if r.passed)) if found else None

    return DrillChange(
        previous_drill_id=previous_drill_id,
        previous_incident_id=previous[0].incident_id,
        previous_started_at=previous[0].timings.triggered_at.isoformat(),
        figures=(
            row("people asked", Unit.COUNT, lambda f: float(f.asked)),
            row(
                "acknowledged share",
                Unit.SHARE,
                lambda f: f.acknowledged / f.asked if f.asked else None,
            ),
            row("declined", Unit.COUNT, lambda f: float(f.declined)),
            row("silent", Unit.COUNT, lambda f: float(f.silent)),
            row("median time to acknowledge", Unit.SECONDS, lambda f: f.times.median),
            row("p90 time to acknowledge", Unit.SECONDS, lambda f: f.times.p90),
            row("slowest acknowledgement", Unit.SECONDS, lambda f: f.times.slowest),
            row(
                "first acknowledgement after the start",
                Unit.SECONDS,
                lambda f: f.first_acknowledgement,
            ),
            FigureChange("targets passed", Unit.COUNT, passed(previous_results), passed(results)),
        ),
    )
