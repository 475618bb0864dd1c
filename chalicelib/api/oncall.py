"""On-call coverage and overrides.

``GET /v1/oncall/{schedule}?from=&to=``: who is on call, shift by shift, and the gaps (scope
``read``). ``POST /v1/oncall/{schedule}/overrides`` and ``DELETE .../overrides/{id}``: someone
covers for someone else for a while (scope ``oncall``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.events import read_timestamp
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.oncall.coverage import Coverage
    from chalicelib.core.oncall.shifts import Override


oncall = Blueprint(__name__)


@oncall.route("/v1/oncall/{schedule_id}", methods=["GET"])
@json_errors
def show_coverage(schedule_id: str) -> dict[str, Any]:
    services = _authorised(Scope.READ)
    query: Mapping[str, str] = oncall.current_request.query_params or {}
    found = services.oncall.coverage(
        schedule_id,
        _instant(query.get("from"), "from") if query.get("from") else None,
        _instant(query.get("to"), "to") if query.get("to") else None,
    )
    return coverage_document(found)


@oncall.route("/v1/oncall/{schedule_id}/overrides", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def add_override(schedule_id: str) -> Response:
    services = container()
    request = oncall.current_request
    document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.ONCALL)
    if not isinstance(document, dict):
        raise InvalidRequest("body", "must be a JSON object")
    unknown = sorted(set(document) - {"contact_id", "start", "end", "covers"})
    if unknown:
        raise InvalidRequest(unknown[0], "unknown field")
    contact_id = document.get("contact_id")
    covers = document.get("covers")
    if not isinstance(contact_id, str) or not contact_id:
        raise InvalidRequest("contact_id", "is required: who will be on call")
    if covers is not None and not isinstance(covers, str):
        raise InvalidRequest("covers", "must be a contact id")
    override = services.oncall.add_override(
        schedule_id,
        contact_id,
        _instant(document.get("start"), "start"),
        _instant(document.get("end"), "end"),
        covers,
        created_by=key.contact_id or f"key {key.name}",
    )
    return Response(
        body=override_document(override),
        status_code=201,
        headers={"Location": f"/v1/oncall/{schedule_id}/overrides/{override.override_id}"},
    )


@oncall.route("/v1/oncall/{schedule_id}/overrides/{override_id}", methods=["DELETE"])
@json_errors
def remove_override(schedule_id: str, override_id: str) -> dict[str, Any]:
    services = _authorised(Scope.ONCALL)
    return override_document(services.oncall.remove_override(schedule_id, override_id))


def coverage_document(found: Coverage) -> dict[str, Any]:
    who, source = found.now

    def shift(item: Any) -> dict[str, Any]:
        return {
            "start": item.start.isoformat(),
            "end": item.end.isoformat(),
            "contact_id": item.contact_id,
            "source": item.source,
        }

    return {
        "schedule_id": found.schedule.schedule_id,
        "timezone": found.schedule.timezone,
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "on_call_now": {"contact_id": who, "source": source},
        "shifts": [shift(item) for item in found.shifts],
        "gaps": [shift(item) for item in found.gaps],
        "unknown_members": list(found.unknown_members),
    }


def override_document(override: Override) -> dict[str, Any]:
    return {
        "override_id": override.override_id,
        "schedule_id": override.schedule_id,
        "contact_id": override.contact_id,
        "covers": override.covers,
        "start": override.start.isoformat(),
        "end": override.end.isoformat(),
        "created_by": override.created_by,
    }


def _authorised(scope: Scope) -> Container:
    services = container()
    request = oncall.current_request
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(scope)
    return services


def _instant(value: Any, name: str) -> datetime:
    if value is None:
        raise InvalidRequest(name, "is required: a date-time such as 2026-12-01T08:00:00+01:00")
    return read_timestamp(value, name).astimezone(UTC)
