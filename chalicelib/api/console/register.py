"""The console's pages for drills and reports: the drill register (newest first, a page at a
time, as ``GET /v1/drills``) and an incident's or drill's after-action report in HTML (as
``GET /v1/incidents/{id}/report?format=html``), each for a session with the ``read`` scope."""

from __future__ import annotations

from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.api.console.web import console, pages, render, signed_in_reader
from chalicelib.api.lists import query_parameters
from chalicelib.api.reports import answer


@console.route("/console/drills", methods=["GET"])
@pages
def drills_page() -> Response:
    from chalicelib.core.drills.register import next_cursor, register_query

    request, found, session = signed_in_reader()
    params = query_parameters(request)
    query = register_query(params)
    if query.csv:  # the register's CSV is the API's (GET /v1/drills?format=csv)
        params.pop("format")
        query = register_query(params)
    page = found.drills.page(query.limit, query.after)
    cursor = next_cursor(page.next)
    return render(
        request,
        found,
        "drills.html",
        session,
        rows=[(drill, found.drills.counts(drill)) for drill in page.items],
        next_page=urlencode({"limit": str(query.limit), "cursor": cursor}) if cursor else None,
    )


@console.route("/console/incidents/{incident_id}/report", methods=["GET"])
@pages
def report_page(incident_id: str) -> Response:
    """The after-action report in HTML (timings, reach per channel, who answered and how fast,
    the drill's targets), with the reports' own strict policy (inline SVG charts, no script)."""
    from chalicelib.core.reports.report_desk import ReportFormat

    _, found, _ = signed_in_reader()
    return answer(found.reports.rendered(incident_id, ReportFormat.HTML), f"report-{incident_id}")
