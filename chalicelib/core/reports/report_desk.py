"""Reports on demand: an incident's report in the format asked for (the API and the CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.core.errors import FieldProblem, InvalidRequest, NotFound
from chalicelib.core.model import TimelineEntry
from chalicelib.core.ports import ContactDirectory, IncidentStore
from chalicelib.core.reports.figures import Member, Report
from chalicelib.core.reports.reckoning import build_report
from chalicelib.core.reports.report_documents import report_csv, report_document
from chalicelib.core.reports.report_page import render_report_html, render_report_markdown
from chalicelib.core.reports.targets import AckTarget, check_targets


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


class ReportDesk:
    def __init__(self, incidents: IncidentStore, directory: ContactDirectory) -> None:
        self._incidents = incidents
        self._directory = directory

    def report(self, incident_id: str) -> Report:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        timeline = self._incidents.timeline(incident_id)
        contacts = self._directory.get_contacts(named_contacts(timeline))
        members = {
            contact_id: Member(contact_id, contact.roles, contact.teams)
            for contact_id, contact in contacts.items()
        }
        return build_report(incident, timeline, members)

    def rendered(
        self, incident_id: str, format: ReportFormat, targets: Sequence[AckTarget] = ()
    ) -> Rendered:
        report = self.report(incident_id)
        results = check_targets(report, targets)
        if format is ReportFormat.JSON:
            return Rendered(format, report_document(report, results))
        if format is ReportFormat.CSV:
            return Rendered(format, report_csv(report, results))
        if format is ReportFormat.MD:
            return Rendered(format, render_report_markdown(report, results))
        return Rendered(format, render_report_html(report, results))
