"""Reports on demand: an incident's report in the format asked for (the API and the CLI).

A drill's report asks the drill register (``DrillLookup``) for the drill's targets and its
plan's previous drill: each target's verdict (pending while the drill runs and its time has not
passed), and the change since that previous drill, its report beside this one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import FieldProblem, InvalidRequest, NotFound
from chalicelib.core.model import TimelineEntry
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.reports.drill_change import DrillChange, drill_change
from chalicelib.core.reports.figures import Member, Report
from chalicelib.core.reports.ports import DrillLookup
from chalicelib.core.reports.reckoning import build_report
from chalicelib.core.reports.report_documents import report_csv, report_document
from chalicelib.core.reports.report_page import render_report_html, render_report_markdown
from chalicelib.core.reports.targets import TargetResult, check_targets


class ReportFormat(StrEnum):
    JSON = "json"
    MD = "md"
    HTML = "html"
    CSV = "csv"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]


_CONTENT_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.MD: "text/markdown; charset=utf-8",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.CSV: "text/csv; charset=utf-8",
}


def report_format(text: str | None, name: str = "format") -> ReportFormat:
    """The format asked for (json when none); InvalidRequest naming the parameter otherwise."""
    if text is None:
        return ReportFormat.JSON
    try:
        return ReportFormat(text)
    except ValueError:
        choices = ", ".join(f.value for f in ReportFormat)
        raise InvalidRequest.of(
            [FieldProblem(name, f"must be one of {choices}; got {text[:40]!r}")]
        ) from None


@dataclass(frozen=True)
class Rendered:
    format: ReportFormat
    body: str | dict[str, Any]  # a dict for JSON: the edge serialises it


def named_contacts(timeline: Sequence[TimelineEntry]) -> list[str]:
    """Every contact id the timeline names (answers, sends, receipts, pages, gaps)."""
    found: dict[str, None] = {}
    for entry in timeline:
        contact = entry.data.get("contact_id")
        if isinstance(contact, str) and contact:
            found[contact] = None
        for paged in entry.data.get("paged", ()) if entry.kind in ("paged", "escalated") else ():
            found[str(paged)] = None
    return sorted(found)


@dataclass(frozen=True)
class DrillReport:
    """An incident's report and, for a drill, its targets' results and the change since the
    plan's previous drill (None for the first drill, or one the register no longer holds)."""

    report: Report
    results: tuple[TargetResult, ...] = ()
    change: DrillChange | None = None


class ReportDesk:
    def __init__(
        self,
        incidents: IncidentStore,
        directory: ContactDirectory,
        drills: DrillLookup | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._incidents = incidents
        self._directory = directory
        self._drills = drills
        self._clock = clock

    def report(self, incident_id: str) -> Report:
        return self.report_and_timeline(incident_id)[0]

    def report_and_timeline(self, incident_id: str) -> tuple[Report, Sequence[TimelineEntry]]:
        """The report and the timeline it was made from (read once for both)."""
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        timeline = self._incidents.timeline(incident_id)
        contacts = self._directory.get_contacts(named_contacts(timeline))
        members = {
            contact_id: Member(contact_id, contact.roles, contact.teams)
            for contact_id, contact in contacts.items()
        }
        return build_report(incident, timeline, members), timeline

    def judged(self, incident_id: str) -> DrillReport:
        """The report, with its drill's verdicts and change when it is a drill's."""
        report = self.report(incident_id)
        context = (
            self._drills.context(report.drill_id)
            if self._drills is not None and report.drill_id
            else None
        )
        if context is None:
            return DrillReport(report)
        now = self._clock.now() if self._clock is not None else None
        results = tuple(check_targets(report, context.targets, now, context.roster))
        change = None
        previous = context.previous
        if previous is not None:
            try:
                before = self.report(previous.incident_id)
            except NotFound:  # its incident expired or was erased meanwhile
                before = None
            if before is not None:
                change = drill_change(
                    (before, previous.roster),
                    check_targets(before, previous.targets, now, previous.roster),
                    (report, context.roster),
                    results,
                    previous.drill_id,
                )
        return DrillReport(report, results, change)

    def rendered(self, incident_id: str, format: ReportFormat) -> Rendered:
        judged = self.judged(incident_id)
        report, results, change = judged.report, judged.results, judged.change
        if format is ReportFormat.JSON:
            return Rendered(format, report_document(report, results, change))
        if format is ReportFormat.CSV:
            return Rendered(format, report_csv(report, results, change))
        if format is ReportFormat.MD:
            return Rendered(format, render_report_markdown(report, results, change))
        return Rendered(format, render_report_html(report, results, change))
