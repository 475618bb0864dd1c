"""PagerDuty Events API v2 at its own paths: ``POST /v2/enqueue`` and ``/v2/change/enqueue``.

The ``routing_key`` is a Tocsin API key. Answers are PagerDuty's: ``202`` with
``{"status": "success", "message": "Event processed", "dedup_key"}``; ``400`` with
``{"status": "invalid event", "message", "errors"}``, for an unknown routing key too, as
PagerDuty answers; ``429`` when the key is over its rate.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api.auth import authenticate
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.dropin import accept, defaults, sender_namespace
from chalicelib.api.errors import errors_as, pagerduty_envelope
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import AuthenticationFailed, InvalidEvent
from chalicelib.integrations.pagerduty import change_event, from_pagerduty, routing_key
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

pagerduty_dropin = Blueprint(__name__)


@pagerduty_dropin.route("/v2/enqueue", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(pagerduty_envelope)
def enqueue() -> Response:
    """Trigger, acknowledge or resolve. A trigger without a ``dedup_key`` gets one, as
    PagerDuty gives one, and the answer carries it for the acknowledgement and resolution."""
    services = container()
    request = pagerduty_dropin.current_request
    payload, key = _read(services, request)
    mapped = payload
    if payload.get("event_action") == "trigger" and not payload.get("dedup_key"):
        mapped = {**payload, "dedup_key": uuid.uuid4().hex}
    [document] = from_pagerduty(mapped, defaults(key))
    if document["action"] == "trigger":
        # Remembered before the event is queued: the incident it opens is the sender's, and
        # lists the sender's recent change events.
        services.change_log.remember(
            sender_namespace(key), str(document["dedup_key"]), services.clock.now()
        )
    received = accept(services, key, "pagerduty", document, payload)
    return Response(
        body={
            "status": "success",
            "message": "Event processed",
            "dedup_key": received.dedup_key,
            "event_id": received.event_id,
        },
        status_code=202,
        headers={"Location": f"/v1/events/{received.event_id}"},
    )


@pagerduty_dropin.route("/v2/change/enqueue", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(pagerduty_envelope)
def enqueue_change() -> Response:
    """A change event: on the timeline of the sender's open incidents, and listed on its
    incidents that open within a day; nobody is paged and nothing is queued."""
    services = container()
    request = pagerduty_dropin.current_request
    payload, key = _read(services, request)
    key.require(Scope.TRIGGER)
    change = change_event(payload, sender_namespace(key), uuid.uuid4().hex, services.clock.now())
    reached = services.change_log.record(change)
    logger.info(
        "change event recorded",
        extra={"key": key.name, "change_id": change.change_id, "incidents": reached},
    )
    return Response(
        body={
            "status": "success",
            "message": "Change event processed",
            "change_id": change.change_id,
            "incident_ids": reached,
        },
        status_code=202,
    )


def _read(services: Container, request: Request) -> tuple[dict[str, Any], ApiKey]:
    """The body as an object, and the key its routing_key names (an unknown one is 400)."""
    payload, body = json_body(request, services.settings.max_body_bytes)
    if not isinstance(payload, dict):
        raise InvalidEvent("$", "the event must be a JSON object")
    try:
        key = authenticate(
            routing_key(payload),
            services,
            request.headers,
            body,
            "pagerduty",
            how="send the integration key as 'routing_key'",
        )
    except AuthenticationFailed as refused:
        raise InvalidEvent("routing_key", f"Invalid routing key ({refused})") from None
    return payload, key
