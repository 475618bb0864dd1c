"""``GET /v1/incidents`` and ``GET /v1/events``: newest first, filtered, a page at a time."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request

from chalicelib.api.auth import reader
from chalicelib.api.errors import json_errors
from chalicelib.core.listing import cursor_for, event_query, incident_query
from chalicelib.core.summaries import event_document, incident_document

lists = Blueprint(__name__)


@lists.route("/v1/incidents", methods=["GET"])
@json_errors
def list_incidents() -> dict[str, Any]:
    request = lists.current_request
    services = reader(request)
    query = incident_query(query_parameters(request))
    page = services.lists.incidents(query)
    return {
        "incidents": [incident_document(item) for item in page.items],
        "next_cursor": cursor_for(query, page.next),
    }


@lists.route("/v1/events", methods=["GET"])
@json_errors
def list_events() -> dict[str, Any]:
    request = lists.current_request
    services = reader(request)
    query = event_query(query_parameters(request))
    page = services.lists.events(query)
    return {
        "events": [event_document(item) for item in page.items],
        "next_cursor": cursor_for(query, page.next),
    }


def query_parameters(request: Request) -> dict[str, list[str]]:
    """Every query parameter with every value it was given (a repeated one is refused)."""
    params = request.query_params
    return {} if params is None else {name: params.getlist(name) for name in params}
