"""HTTP routes: ``/v1/events`` and ``/v1/incidents``. Parse, call one service, answer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key, reader, sender_for
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.api.idempotency import idempotent
from chalicelib.core.errors import NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

api = Blueprint(__name__)

_EVENT_ID = re.compile(r"evt_[0-9A-HJKMNP-TV-Z]{26}")
_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")


@api.route("/v1/events", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def post_event() -> Response:
    services = container()
    request = api.current_request
    document, body = json_body(request, services.settings.max_body_bytes)
    credential = bearer_key(request.headers)
    key = authenticate(credential, services, request, body, counts_events=True)

    def accept() -> Response:
        received = services.ingest.accept(document, sender_for(services, key, credential))
        set_correlation_id(received.event_id)
        logger.info(
            "event accepted",
            extra={
                "event_type": received.event.type,
                "severity": received.event.severity.value,
                "source": received.event.source,
                "key": key.name,
            },
        )
        return Response(
            body={"event_id": received.event_id, "status": "pending"},
            status_code=202,
            headers={"Location": f"/v1/events/{received.event_id}"},
        )

    return idempotent(services, request, key, body, accept)


@api.route("/v1/events/{event_id}", methods=["GET"])
@json_errors
def get_event(event_id: str) -> dict[str, Any]:
    services = _reader()
    record = services.events.get(event_id) if _EVENT_ID.fullmatch(event_id) else None
    if record is None:
        raise NotFound(f"no event {event_id}")
    return {
        "event_id": record.event_id,
        "status": record.outcome.value,
        "code": record.code,
        "reason": record.reason,
        "incident_id": record.incident_id,
        "received_at": record.received_at.isoformat(),
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
        "decide_at": record.decide_at.isoformat() if record.decide_at else None,
    }


@api.route("/v1/incidents/{incident_id}", methods=["GET"])
@json_errors
def get_incident(incident_id: str) -> dict[str, Any]:
    services = _reader()
    incident = services.incidents.get(incident_id) if _INCIDENT_ID.fullmatch(incident_id) else None
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return services.responses.document(incident)


def _reader() -> Container:
    return reader(api.current_request)


_OPENAPI = Path(__file__).with_name("openapi.json")


@api.route("/v1/openapi.json", methods=["GET"])
def openapi() -> Response:
    """The OpenAPI 3 description of this API (no key needed; it holds no data)."""
    return Response(
        body=_OPENAPI.read_text(encoding="utf-8"),
        status_code=200,
        headers={"Content-Type": "application/json"},
    )
