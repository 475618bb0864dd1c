"""Analytics on demand: the incidents opened in a period, read through the lists' index (one
query per status partition, a page at a time, never a scan), each with its timeline."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.core.errors import FieldProblem, InvalidRequest
from chalicelib.core.listing import MAX_LIMIT, Exercises, IncidentQuery, Lists
from chalicelib.core.model import Incident, TimelineEntry
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.reports.analytics import Analytics, DrillResult, Hours, IncidentFacts, analyse
from chalicelib.core.reports.analytics_render import (
    analytics_csv,
    analytics_document,
    render_analytics_html,
    render_analytics_markdown,
)
from chalicelib.core.reports.reach import read_jobs
from chalicelib.core.reports.reckoning import build_report
from chalicelib.core.reports.report_desk import Rendered, ReportFormat

_PERIOD = re.compile(r"([0-9]{1,5})([hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
DEFAULT_PERIOD = "30d"
MAX_INCIDENTS = 2000  # read per request; past it the answer says it is incomplete


def read_period(text: str | None, longest: timedelta, name: str = "since") -> timedelta:
    """``90d``, ``12h``, ``8w``: more than nothing, at most ``longest`` (the incidents'
    retention: older ones are gone); InvalidRequest naming ``name`` otherwise."""
    given = DEFAULT_PERIOD if text is None else text
    found = _PERIOD.fullmatch(given)
    problem = None
    if found is None:
        problem = (
            "must be a whole number of hours, days or weeks such as 90d, 12h or 8w; "
            f"got {given[:40]!r}"
        )
    else:
        period = int(found[1]) * _UNITS[found[2]]
        if period <= timedelta(0):
            problem = f"must be more than nothing; got {given!r}"
        elif period > longest:
            problem = (
                f"must be at most {longest.days}d, the incidents' retention (older incidents "
                f"are gone); got {given!r}"
            )
    if problem is not None:
        raise InvalidRequest.of([FieldProblem(name, problem)])
    return period


def incident_facts(incident: Incident, timeline: Sequence[TimelineEntry]) -> IncidentFacts:
    timings = build_report(incident, timeline, {}).timings
    pages: dict[tuple[str, int], datetime] = {}
    for (contact, _, step), job in read_jobs(timeline).by_key.items():
        if job.handed_at is not None:
            earlier = pages.get((contact, step))
            pages[(contact, step)] = min(job.handed_at, earlier or job.handed_at)
    return IncidentFacts(
        incident_id=incident.incident_id,
        type=incident.type,
        severity=incident.severity.value,
        exercise=incident.is_exercise,
        status=incident.status.value,
        triggered_at=timings.triggered_at,
        first_acknowledged_at=timings.first_acknowledged_at,
        resolved_at=timings.resolved_at,
        pages=tuple(sorted(((c, at) for (c, _), at in pages.items()), key=lambda p: p[1])),
    )


class AnalyticsDesk:
    def __init__(
        self,
        lists: Lists,
        incidents: IncidentStore,
        directory: ContactDirectory,
        clock: Clock,
        retention: Callable[[], timedelta],
        drills: Callable[[datetime], Sequence[DrillResult]] = lambda since: (),
        most: int = MAX_INCIDENTS,
    ) -> None:
        self._lists = lists
        self._incidents = incidents
        self._directory = directory
        self._clock = clock
        self._retention = retention
        self._drills = drills  # the drills' results since then (none until drills record them)
        self._most = most

    def period(self, text: str | None) -> timedelta:
        return read_period(text, self._retention())

    def analytics(self, period: timedelta) -> Analytics:
        until = self._clock.now()
        since = until - period
        query = IncidentQuery(since=since, exercise=Exercises.INCLUDE, limit=MAX_LIMIT)
        facts: list[IncidentFacts] = []
        complete = True
        while True:
            page = self._lists.incidents(query)
            for summary in page.items:
                if len(facts) == self._most:
                    complete = False
                    break
                incident = self._incidents.get(summary.incident_id)
                if incident is not None:  # erased or expired since it was listed
                    timeline = self._incidents.timeline(incident.incident_id)
                    facts.append(incident_facts(incident, timeline))
            if page.next is None or not complete:
                break
            query = replace(query, after=page.next)
        paged = sorted({contact for fact in facts for contact, _ in fact.pages})
        contacts = self._directory.get_contacts(paged) if paged else {}
        hours = {c: Hours(p.timezone, p.working_hours) for c, p in contacts.items()}
        return analyse(facts, hours, self._drills(since), since, until, complete)

    def rendered(self, since: str | None, format: ReportFormat) -> Rendered:
        """The period's figures in ``format``; a bad period is refused before anything is read."""
        figures = self.analytics(self.period(since))
        if format is ReportFormat.JSON:
            return Rendered(format, analytics_document(figures))
        if format is ReportFormat.CSV:
            return Rendered(format, analytics_csv(figures))
        if format is ReportFormat.MD:
            return Rendered(format, render_analytics_markdown(figures))
        return Rendered(format, render_analytics_html(figures))
