"""Answering an incident: the acknowledgement link's page (``/a/{token}``), and the API's
``POST /v1/incidents/{id}/acknowledge``, ``/decline`` and ``/resolve``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from chalicelib.api.ack_page import PAGE_HEADERS, incident_page, message_page
from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT
from chalicelib.api.errors import Failure, errors_as, json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import (
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    UnsupportedMediaType,
)
from chalicelib.core.messaging.passes import ResponderPass, genuine, well_formed
from chalicelib.core.response.answers import Answer
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

responses = Blueprint(__name__)

FORM = "application/x-www-form-urlencoded"
_TITLES = {
    400: "Not understood",
    403: "Not yours",
    404: "Link not valid",
    409: "Too late",
    410: "Link expired",
    503: "Try again",
}


def _html_error(failure: Failure) -> Response:
    return Response(
        body=message_page(_TITLES.get(failure.status, "Not possible"), failure.message),
        status_code=failure.status,
        headers=PAGE_HEADERS,
    )


html_errors = errors_as(_html_error)


@responses.route("/a/{token}", methods=["GET"])
@html_errors
def show_link(token: str) -> Response:
    services = container()
    found = _pass(services, token)
    incident = services.responses.incident(found.incident_id)
    language = _language(services, found.contact_id)
    return Response(
        body=incident_page(incident, found.contact_id, language=language),
        status_code=200,
        headers=PAGE_HEADERS,
    )


@responses.route("/a/{token}", methods=["POST"], content_types=ANY_CONTENT)
@html_errors
def answer_link(token: str) -> Response:
    services = container()
    request = responses.current_request
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given != FORM:
        raise UnsupportedMediaType(f"send the page's form ({FORM}), not {given or 'nothing'}")
    found = _pass(services, token)
    raw = request.raw_body or b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > 1024:
        raise InvalidInput("the form is too large")
    answer = parse_qs(text).get("answer", [""])[0]
    if answer == "ack":
        result = services.responses.acknowledge(found.incident_id, found.contact_id, "link")
    elif answer == "decline":
        result = services.responses.decline(found.incident_id, found.contact_id, "link")
    else:
        raise InvalidInput("choose Acknowledge or I can't respond")
    _log(result, found.contact_id, "link")
    language = _language(services, found.contact_id)
    return Response(
        body=incident_page(
            result.incident, found.contact_id, note=result.say(language), language=language
        ),
        status_code=200,
        headers=PAGE_HEADERS,
    )


@responses.route(
    "/v1/incidents/{incident_id}/acknowledge", methods=["POST"], content_types=ANY_CONTENT
)
@json_errors
def acknowledge_incident(incident_id: str) -> dict[str, Any]:
    services, who, person = _caller()
    if person:
        result = services.responses.acknowledge(incident_id, who, "api")
    else:
        result = services.responses.acknowledge_for(incident_id, f"key {who}", "api")
    _log(result, who, "api")
    return _answer_body(result)


@responses.route("/v1/incidents/{incident_id}/decline", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def decline_incident(incident_id: str) -> dict[str, Any]:
    services, who, person = _caller()
    if not person:
        raise Forbidden("only a person can say they can't respond: use a personal key (--contact)")
    result = services.responses.decline(incident_id, who, "api")
    _log(result, who, "api")
    return _answer_body(result)


@responses.route("/v1/incidents/{incident_id}/resolve", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def resolve_incident(incident_id: str) -> dict[str, Any]:
    services, who, person = _caller()
    result = services.responses.resolve(incident_id, who if person else f"key {who}", "api")
    _log(result, who, "api")
    return _answer_body(result)


def _pass(services: Container, token: str) -> ResponderPass:
    """The pass behind a link: genuine, and not expired."""
    found = services.responders.by_token(token) if well_formed(token) else None
    if found is None or not genuine(services.link_secret, found, token):
        raise NotFound("This link is not valid. Use the link in your latest message.")
    if found.expired(services.clock.now()):
        # Never the reply code: whoever holds an old link (a forwarded mail, a shared screen)
        # must not learn what answers for the person by text.
        raise Gone(
            f"This link expired at {found.expires_at:%Y-%m-%d %H:%M} UTC. "
            "Reply to the text message with the code it gives and ACK instead."
        )
    return found


def _language(services: Container, contact_id: str) -> str:
    contact = services.directory.get_contacts([contact_id]).get(contact_id)
    return contact.language if contact else "en"


def _caller() -> tuple[Container, str, bool]:
    """(services, contact id or key name, whether that is a person)."""
    services = container()
    request = responses.current_request
    raw = request.raw_body or b""
    body = raw if isinstance(raw, bytes) else raw.encode()
    key = authenticate(bearer_key(request.headers), services, request.headers, body)
    key.require(Scope.RESOLVE)
    if key.contact_id:
        return services, key.contact_id, True
    return services, key.name, False


def _answer_body(result: Answer) -> dict[str, Any]:
    state = result.incident.response
    return {
        "incident_id": result.incident.incident_id,
        "outcome": result.outcome,
        "message": result.message,
        "status": result.incident.status.value,
        "acknowledged_by": list(state.acknowledged_by),
        "escalation": state.stopped.value if state.stopped else "running",
    }


def _log(result: Answer, who: str, via: str) -> None:
    logger.set_correlation_id(result.incident.incident_id)
    logger.info("incident answered", extra={"outcome": result.outcome, "by": who, "via": via})
