"""``GET /v1/incidents/{id}/report`` and ``GET /v1/analytics``: after-action reports and
figures over a period, as JSON, Markdown, CSV or an HTML page (inline SVG, no scripts).

Both need a key with the ``read`` scope, the one that reads incidents. Reports name people by
their contact ids (never their addresses), and are never cached."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.auth import reader
from chalicelib.api.errors import json_errors
from chalicelib.api.lists import query_parameters
from chalicelib.core.errors import FieldProblem, InvalidRequest, NotFound

if TYPE_CHECKING:
    from chalicelib.core.reports.report_desk import Rendered


reports = Blueprint(__name__)

_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")
# The HTML holds no script and loads nothing: a page that tried would be refused.
_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


@reports.route("/v1/incidents/{incident_id}/report", methods=["GET"])
@json_errors
def incident_report(incident_id: str) -> Response:
    from chalicelib.core.reports.report_desk import report_format

    request = reports.current_request
    services = reader(request)
    params = query_parameters(request)
    chosen = report_format(single(params, "format", known=("format",)))
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
    return answer(services.reports.rendered(incident_id, chosen), f"report-{incident_id}")


@reports.route("/v1/analytics", methods=["GET"])
@json_errors
def analytics() -> Response:
    from chalicelib.core.reports.report_desk import report_format

    request = reports.current_request
    services = reader(request)
    params = query_parameters(request)
    known = ("since", "format")
    since = single(params, "since", known)
    chosen = report_format(single(params, "format", known))
    return answer(services.analytics.rendered(since, chosen), "analytics")


def single(params: Mapping[str, Sequence[str]], name: str, known: Sequence[str]) -> str | None:
    """The one value of ``name``; every unknown or repeated parameter named at once."""
    problems = [
        FieldProblem(other, f"is not a parameter here (it takes {', '.join(known)})")
        for other in sorted(params)
        if other not in known
    ]
    values = list(params.get(name, ()))
    if len(values) > 1:
        problems.append(FieldProblem(name, "must be given once"))
    if problems:
        raise InvalidRequest.of(problems)
    return values[0] if values else None


def answer(rendered: Rendered, filename: str) -> Response:
    from chalicelib.core.reports.report_desk import ReportFormat

    headers: dict[str, str | list[str]] = {
        "Content-Type": rendered.format.content_type,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if rendered.format is ReportFormat.HTML:
        headers["Content-Security-Policy"] = _HTML_POLICY
    if rendered.format is ReportFormat.CSV:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    body = rendered.body
    text = json.dumps(body) if isinstance(body, dict) else body
    return Response(body=text, status_code=200, headers=headers)
