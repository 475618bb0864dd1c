"""PagerDuty Events API v2 at its own paths: ``POST /v2/enqueue`` and ``/v2/change/enqueue``.

The ``routing_key`` is a Tocsin API key. Answers are PagerDuty's: ``202`` with
``{"status": "success", "message": "Event processed", "dedup_key"}``; ``400`` with
``{"status": "invalid event", "message", "errors"}``, for an unknown routing key too, as
PagerDuty answers; ``401`` without any routing key (as every Tocsin route without a key,
issue #17); ``403`` for a key bound to other integrations; ``429`` when the key is over its
rate.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api.auth import authenticate
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.dropin import Caller, accept, defaults
from chalicelib.api.errors import errors_as, pagerduty_envelope
from chalicelib.core.access import Scope
from chalicelib.core.errors import AuthenticationFailed, InvalidEvent
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

pagerduty_dropin = Blueprint(__name__)


@pagerduty_dropin.route("/v2/enqueue", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(pagerduty_envelope)
def enqueue() -> Response:
    """Trigger, acknowledge or resolve. A trigger without a ``dedup_key`` gets one, as
    PagerDuty gives one, and the answer carries it for the acknowledgement and resolution."""
    from chalicelib.integrations.pagerduty import from_pagerduty

    services = container()
    request = pagerduty_dropin.current_request
    payload, caller = _read(services, request, counts_events=True)
    mapped = payload
    if payload.get("event_action") == "trigger" and not payload.get("dedup_key"):
        mapped = {**payload, "dedup_key": uuid.uuid4().hex}
    [document] = from_pagerduty(mapped, defaults(caller.key))
    if document["action"] == "trigger":
        # Remembered before the event is queued: the incident it opens is the sender's, and
        # lists the sender's recent change events.
        services.change_log.remember(
            caller.namespace, str(document["dedup_key"]), services.clock.now()
        )
    received = accept(services, caller, document, payload)
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
    from chalicelib.integrations.pagerduty import change_event

    services = container()
    request = pagerduty_dropin.current_request
    payload, caller = _read(services, request)
    caller.key.require(Scope.TRIGGER)
    change = change_event(
        caller.withheld(payload), caller.namespace, uuid.uuid4().hex, services.clock.now()
    )
    reached = services.change_log.record(change)
    logger.info(
        "change event recorded",
        extra={"key": caller.key.name, "change_id": change.change_id, "incidents": reached},
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


def _read(
    services: Container, request: Request, counts_events: bool = False
) -> tuple[dict[str, Any], Caller]:
    """The body as an object, and the caller its routing_key names: none at all is 401, as on
    every route (issue #17); an unknown one is 400, as PagerDuty answers."""
    from chalicelib.integrations.pagerduty import routing_key

    payload, body = json_body(request, services.settings.max_body_bytes)
    if not isinstance(payload, dict):
        raise InvalidEvent("$", "the event must be a JSON object")
    credential = routing_key(payload)
    how = "send the integration key as 'routing_key'"
    if not credential:
        raise AuthenticationFailed(how)
    try:
        key = authenticate(
            credential, services, request, body, how=how, counts_events=counts_events
        )
    except AuthenticationFailed as refused:
        raise InvalidEvent("routing_key", f"Invalid routing key ({refused})") from None
    return payload, Caller(key, credential, "pagerduty")
