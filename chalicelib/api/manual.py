"""Manual activation: ``POST /v1/plans/{plan_id}/activate``; and the gate's approve and reject
(``POST /v1/incidents/{id}/approve``, ``/reject``), for activations by hand and automatic ones.

Only personal keys (``tocsin keys create NAME --scope activate --contact CONTACT_ID``) may call
these: the gate counts people, and needs to know who each one is.
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

manual = Blueprint(__name__)

_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")


@manual.route("/v1/plans/{plan_id}/activate", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def activate_plan(plan_id: str) -> Response:
    from chalicelib.core.activation.manual import parse_request

    services, actor, document = _person_request()
    if not _PLAN_ID.fullmatch(plan_id):
        raise NotFound(f"no response plan {plan_id}")
    incident = services.manual.request(plan_id, str(actor.contact_id), parse_request(document))
    set_correlation_id(incident.incident_id)
    logger.info(
        "plan activated by hand",
        extra={"plan_id": plan_id, "status": incident.status.value, "contact_id": actor.contact_id},
    )
    return Response(
        body={"incident_id": incident.incident_id, "status": incident.status.value},
        status_code=201,
        headers={"Location": f"/v1/incidents/{incident.incident_id}"},
    )


@manual.route("/v1/incidents/{incident_id}/approve", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def approve_incident(incident_id: str) -> dict[str, Any]:
    services, actor, _ = _person_request(body_required=False)
    _known(incident_id)
    set_correlation_id(incident_id)
    queued = services.gatekeeper.approve(incident_id, actor)
    incident = services.incidents.get(incident_id)
    status = incident.status.value if incident else "open"
    logger.info(
        "activation approved", extra={"incident_id": incident_id, "contact_id": actor.contact_id}
    )
    return {
        "incident_id": incident_id,
        "status": status,
        "notifications": queued,
        "approved_by": list(incident.approved_by) if incident else [],
    }


@manual.route("/v1/incidents/{incident_id}/reject", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def reject_incident(incident_id: str) -> dict[str, Any]:
    services, actor, document = _person_request(body_required=False)
    _known(incident_id)
    reason = document.get("reason", "") if isinstance(document, dict) else ""
    if not isinstance(reason, str) or len(reason) > 1024:
        raise InvalidRequest("reason", "must be a string of at most 1024 characters")
    set_correlation_id(incident_id)
    services.gatekeeper.reject(incident_id, actor, reason.strip())
    logger.info(
        "activation rejected", extra={"incident_id": incident_id, "contact_id": actor.contact_id}
    )
    return {"incident_id": incident_id, "status": "cancelled"}


def _person_request(body_required: bool = True) -> tuple[Container, Answerer, Any]:
    services = container()
    request = manual.current_request
    given = request.raw_body or b""
    raw = given if isinstance(given, bytes) else given.encode()
    document: Any = {}
    if body_required or raw.strip():
        document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.ACTIVATE)
    return services, Answerer.by_personal_key(key.name, key.require_person()), document


def _known(incident_id: str) -> None:
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
