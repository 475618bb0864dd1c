"""Answering an incident: the acknowledgement link's page (``/a/{token}``), and the API's
``POST /v1/incidents/{id}/acknowledge``, ``/decline`` and ``/resolve``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from chalicelib.api.ack_page import PAGE_HEADERS, checkin_page, incident_page, message_page
from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import Failure, errors_as, json_errors
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import (
    FieldProblem,
    Forbidden,
    Gone,
    InvalidInput,
    InvalidRequest,
    NotFound,
    UnsupportedMediaType,
)
from chalicelib.core.people import is_contact_id
from chalicelib.core.wording.checkin_words import checkin_says
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.messaging.passes import ResponderPass
    from chalicelib.core.response.decisions import Answer


responses = Blueprint(__name__)
_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")
_ANSWER_FIELDS = frozenset({"for"})

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
    from chalicelib.core.checkins.values import checkin_for_incident

    services = container()
    found = _pass(services, token)
    checkin = services.checkin_store.get(checkin_for_incident(found.incident_id))
    if checkin is not None:
        return _checkin_page(services, found)
    incident = services.responses.incident(found.incident_id)
    language, timezone = _reader(services, found.contact_id)
    checklist = services.duties.page_items(incident, found.contact_id)
    return Response(
        body=incident_page(
            incident, found.contact_id, language=language, timezone=timezone, checklist=checklist
        ),
        status_code=200,
        headers=PAGE_HEADERS,
    )


@responses.route("/a/{token}", methods=["POST"], content_types=ANY_CONTENT)
@html_errors
def answer_link(token: str) -> Response:
    from chalicelib.core.checkins.values import checkin_for_incident

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
    form = parse_qs(text)
    if services.checkin_store.get(checkin_for_incident(found.incident_id)) is not None:
        # A check-in's link: whatever the form (a stale one, an incident page's), an option
        return _checkin_page(services, found, form.get("option", [""])[0])
    answer = form.get("answer", [""])[0]
    answerer = Answerer.by_link(found.contact_id)
    if "tick" in form:  # a checklist item, ticked by the link's person
        ticked = services.duties.tick(found.incident_id, answerer, form["tick"][0])
        logger.info("checklist item ticked", extra=ticked.document())
        incident = services.responses.incident(found.incident_id)
        language, timezone = _reader(services, found.contact_id)
        page = incident_page(
            incident,
            found.contact_id,
            note=f"Ticked: {ticked.item.text}",
            language=language,
            timezone=timezone,
            checklist=services.duties.page_items(incident, found.contact_id),
        )
        return Response(body=page, status_code=200, headers=PAGE_HEADERS)
    if answer == "ack":
        result = services.responses.acknowledge(found.incident_id, answerer)
    elif answer == "decline":
        result = services.responses.decline(found.incident_id, answerer)
    else:
        raise InvalidInput("choose Acknowledge or I can't respond")
    _log(result, answerer)
    language, timezone = _reader(services, found.contact_id)
    return Response(
        body=incident_page(
            result.incident,
            found.contact_id,
            note=result.say(language),
            language=language,
            timezone=timezone,
        ),
        status_code=200,
        headers=PAGE_HEADERS,
    )


@responses.route(
    "/v1/incidents/{incident_id}/checklist/{item_id}", methods=["POST"], content_types=ANY_CONTENT
)
@json_errors
def tick_checklist_item(incident_id: str, item_id: str) -> dict[str, Any]:
    """A checklist item ticked by its person: a personal key (``resolve`` scope) whose person
    holds the item's role; a shared key answers for nobody and is refused."""
    services, key, named = _caller(incident_id)
    if key.contact_id is None:
        raise Forbidden(
            f"the key {key.name!r} is not a personal key: a checklist item is ticked by its "
            "person, with their own key or the link from their alert"
        )
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
    ticked = services.duties.tick(incident_id, key.answerer(named), item_id)
    logger.info("checklist item ticked", extra=ticked.document())
    return ticked.document()


@responses.route(
    "/v1/incidents/{incident_id}/acknowledge", methods=["POST"], content_types=ANY_CONTENT
)
@json_errors
def acknowledge_incident(incident_id: str) -> dict[str, Any]:
    services, key, named = _caller(incident_id)
    answerer = key.answerer(named)
    result = services.responses.acknowledge(incident_id, answerer)
    _log(result, answerer)
    return _answer_body(result)


@responses.route("/v1/incidents/{incident_id}/decline", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def decline_incident(incident_id: str) -> dict[str, Any]:
    services, key, named = _caller(incident_id)
    answerer = key.answerer(named)
    result = services.responses.decline(incident_id, answerer)
    _log(result, answerer)
    return _answer_body(result)


@responses.route("/v1/incidents/{incident_id}/resolve", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def resolve_incident(incident_id: str) -> dict[str, Any]:
    services, key, named = _caller(incident_id)
    answerer = key.answerer(named, person_needed=False)
    result = services.responses.resolve(incident_id, answerer)
    _log(result, answerer)
    return _answer_body(result)


def _checkin_page(services: Container, found: ResponderPass, chosen: str | None = None) -> Response:
    """A check-in's link: its question and options (GET); one tap answers (POST ``option``)."""
    from chalicelib.core.checkins.values import AnsweredBy, checkin_for_incident

    checkin = services.checkins.get(checkin_for_incident(found.incident_id))
    language, timezone = _reader(services, found.contact_id)
    note = None
    if chosen is not None:
        number = int(chosen) if chosen.isdigit() and len(chosen) == 1 else None
        if checkin.option(number or 0) is None:  # nothing recorded; the options again
            latest = services.checkin_store.latest_of(checkin.checkin_id, [found.contact_id])
            problem = checkin_says(language, "page_not_an_option")
            page = checkin_page(
                checkin, latest.get(found.contact_id), None, language, timezone, problem
            )
            return Response(body=page, status_code=400, headers=PAGE_HEADERS)
        answered = services.checkins.answer(
            checkin.checkin_id, found.contact_id, int(chosen), AnsweredBy.LINK, asked=True
        )
        key = "recorded_late" if answered.answer.late else "recorded"
        note = checkin_says(language, key, option=answered.option.text(language))
        set_correlation_id(checkin.incident_id)
        logger.info(
            "check-in answered",
            extra={"checkin_id": checkin.checkin_id, "contact_id": found.contact_id, "via": "link"},
        )
    latest = services.checkin_store.latest_of(checkin.checkin_id, [found.contact_id])
    page = checkin_page(checkin, latest.get(found.contact_id), note, language, timezone)
    return Response(body=page, status_code=200, headers=PAGE_HEADERS)


def _pass(services: Container, token: str) -> ResponderPass:
    """The pass behind a link: genuine, and not expired."""
    from chalicelib.core.messaging.passes import genuine, well_formed

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


def _reader(services: Container, contact_id: str) -> tuple[str, str]:
    """The person's language and time zone, for the page they read."""
    contact = services.directory.get_contacts([contact_id]).get(contact_id)
    return (contact.language, contact.timezone) if contact else ("en", "UTC")


def _caller(incident_id: str) -> tuple[Container, ApiKey, str | None]:
    """(services, the caller's key, the person the body names in ``for``). A key with an
    allow-list of event types may answer only incidents of those types. The body is
    optional; when given it is a JSON object with ``for`` and nothing else."""
    services = container()
    request = responses.current_request
    raw = request.raw_body or b""
    body = raw if isinstance(raw, bytes) else raw.encode()
    document: Any = None
    if body.strip():
        document, body = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, body)
    key.require(Scope.RESOLVE)
    if key.allowed_types:
        incident = (
            services.incidents.get(incident_id) if _INCIDENT_ID.fullmatch(incident_id) else None
        )
        if incident is not None:
            key.require_type(incident.type)
    named = _named(document)
    if named is not None and not services.directory.get_contacts([named]):
        raise InvalidRequest("for", f"no contact {named!r}: name a person in the directory")
    return services, key, named


def _named(document: Any) -> str | None:
    """The person a body answers for: ``{"for": "c-ada"}``; unknown fields are refused."""
    if document is None:
        return None
    if not isinstance(document, dict):
        raise InvalidRequest("$", 'the body must be a JSON object such as {"for": "c-ada"}')
    unknown = sorted(set(document) - _ANSWER_FIELDS)
    if unknown:
        problems = [FieldProblem(name, "unknown field; only 'for' is accepted") for name in unknown]
        raise InvalidRequest.of(problems)
    named = document.get("for")
    if named is not None and not (isinstance(named, str) and is_contact_id(named)):
        raise InvalidRequest("for", "must be a contact id such as 'c-ada'")
    return named


def _answer_body(result: Answer) -> dict[str, Any]:
    state = result.incident.response
    return {
        "incident_id": result.incident.incident_id,
        "outcome": result.outcome,
        "counted": result.counted,
        "why": result.why.value if result.why else None,
        "message": result.message,
        "status": result.incident.status.value,
        "acknowledged_by": list(state.acknowledged_by),
        "escalation": state.stopped.value if state.stopped else "running",
    }


def _log(result: Answer, answerer: Answerer) -> None:
    """Ids and kinds only: a key's name and an AWS principal are not personal data."""
    set_correlation_id(result.incident.incident_id)
    logger.info(
        "incident answered",
        extra={
            "outcome": result.outcome,
            "contact_id": answerer.contact_id,
            "credential": answerer.credential.value,
            "by": answerer.holder,
            "via": answerer.via,
        },
    )
