"""Drills: ``POST /v1/drills`` (start one: a personal key with the ``activate`` scope, whose
person is recorded as who started it), ``GET /v1/drills`` (the register, newest first, a page
at a time; ``?format=csv`` or ``Accept: text/csv`` for auditors) and ``GET /v1/drills/{id}``
(``read``). Each drill shows its raw counts and each target's result: pass, fail, or pending
while it runs and the target's time has not passed (``core/drills/review.py``). No answer
shows a surprise drill's moment before it fired."""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key, reader
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.api.lists import query_parameters
from chalicelib.core.access import Scope
from chalicelib.core.errors import NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

drills = Blueprint(__name__)

_DRILL_ID = re.compile(r"drl_[0-9A-HJKMNP-TV-Z]{26}")


@drills.route("/v1/drills", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def start_drill() -> Response:
    from chalicelib.core.drills.register import drill_document
    from chalicelib.core.drills.tabletop import plan_document
    from chalicelib.core.playbook.drill_request import parse_drill_request

    services = container()
    request = drills.current_request
    document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.ACTIVATE)
    person = key.require_person()
    started = services.drills.run(parse_drill_request(document, services.clock.now()), person)
    drill = started.drill
    set_correlation_id(drill.incident_id or drill.drill_id)
    logger.info(
        "drill started",
        extra={"drill_id": drill.drill_id, "kind": drill.kind.value, "plan_id": drill.plan_id},
    )
    judged = services.drill_review.judged(drill)
    body = drill_document(drill, judged.counts, judged.results)
    if started.plan is not None:
        body["plan_worked_out"] = plan_document(started.plan)
    return Response(
        body=body, status_code=201, headers={"Location": f"/v1/drills/{drill.drill_id}"}
    )


@drills.route("/v1/drills", methods=["GET"])
@json_errors
def list_drills() -> Response:
    from chalicelib.core.drills.register import (
        drill_document,
        next_cursor,
        register_csv,
        register_query,
    )

    request = drills.current_request
    services = reader(request)
    query = register_query(query_parameters(request), request.headers.get("accept", ""))
    page = services.drills.page(query.limit, query.after)
    judged = [services.drill_review.judged(drill) for drill in page.items]
    rows = [(j.drill, j.counts, j.results) for j in judged]
    if query.csv:
        headers: dict[str, str | list[str]] = {
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
        }
        cursor = next_cursor(page.next)
        if cursor is not None:  # the next page, for a caller that pages through CSV
            headers["Link"] = f'</v1/drills?format=csv&cursor={cursor}>; rel="next"'
        return Response(body=register_csv(rows), status_code=200, headers=headers)
    body: dict[str, Any] = {
        "drills": [drill_document(*row) for row in rows],
        "next_cursor": next_cursor(page.next),
    }
    return Response(body=body, status_code=200)


@drills.route("/v1/drills/{drill_id}", methods=["GET"])
@json_errors
def show_drill(drill_id: str) -> dict[str, Any]:
    from chalicelib.core.drills.register import drill_document

    services = reader(drills.current_request)
    if not _DRILL_ID.fullmatch(drill_id):
        raise NotFound(f"no drill {drill_id}")
    judged = services.drill_review.judged(services.drills.get(drill_id))
    return drill_document(judged.drill, judged.counts, judged.results)
