"""The console's actions (POST, each a form with the session's CSRF token): acknowledge,
resolve, escalate now, send an update, approve and publish a statement. Each calls the use
case the JSON API calls, as the signed-in person (a console session is a person-bound
credential), so each lands on the timeline with who did it; then back to the incident page.

Order, as in the JSON API: the session, then the CSRF token, then the scope, then the action.
A refusal at any step changes nothing.
"""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.api.console.web import (
    checked_form,
    console,
    current_session,
    pages,
    redirect,
    services,
)
from chalicelib.core.access import Scope
from chalicelib.core.console.sessions import Session
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container

_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")
_STATEMENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}-[A-Za-z0-9-]{2,35}-[0-9]{1,4}")
_DIGEST = re.compile(r"[0-9a-f]{16}")
BASE = "/console/incidents/{incident_id}"
FORMS = ["application/x-www-form-urlencoded"]


def _start(incident_id: str, scope: Scope) -> tuple[Container, Session, dict[str, str]]:
    request = console.current_request
    found = services()
    session = current_session(request, found)
    form = checked_form(request, found, session)
    session.require(scope)
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
    set_correlation_id(incident_id)
    return found, session, form


def _back(incident_id: str, done: str) -> Response:
    """To the incident page, saying what was done (a code; the page has the words)."""
    return redirect(console.current_request, f"/console/incidents/{incident_id}?done={done}")


@console.route(BASE + "/acknowledge", methods=["POST"], content_types=FORMS)
@pages
def acknowledge(incident_id: str) -> Response:
    found, session, _ = _start(incident_id, Scope.RESOLVE)
    result = found.responses.acknowledge(incident_id, session.answerer())
    logger.info("console: incident answered", extra={"outcome": result.outcome})
    return _back(incident_id, result.outcome)


@console.route(BASE + "/resolve", methods=["POST"], content_types=FORMS)
@pages
def resolve(incident_id: str) -> Response:
    found, session, _ = _start(incident_id, Scope.RESOLVE)
    result = found.responses.resolve(incident_id, session.answerer())
    logger.info("console: incident resolved", extra={"people": result.people})
    return _back(incident_id, "resolved")


@console.route(BASE + "/escalate", methods=["POST"], content_types=FORMS)
@pages
def escalate(incident_id: str) -> Response:
    found, session, _ = _start(incident_id, Scope.RESOLVE)
    step = found.escalator.escalate_now(incident_id, session.answerer())
    logger.info("console: escalated now", extra={"outcome": step.outcome.value, "step": step.step})
    return _back(incident_id, "escalated")


@console.route(BASE + "/updates", methods=["POST"], content_types=FORMS)
@pages
def post_update(incident_id: str) -> Response:
    from chalicelib.core.updates.rhythm import parse_update

    found, session, form = _start(incident_id, Scope.STATEMENTS)
    wanted = parse_update({"text": form.get("text", "")})
    sent = found.update_desk.post(incident_id, session.answerer(), wanted)
    logger.info("console: update posted", extra={"number": sent.number, "people": sent.people})
    return _back(incident_id, "update_sent")


@console.route(BASE + "/statements/{statement_id}/approve", methods=["POST"], content_types=FORMS)
@pages
def approve_statement(incident_id: str, statement_id: str) -> Response:
    found, session, form = _start(incident_id, Scope.STATEMENTS)
    _statement(incident_id, statement_id)
    digest = form.get("digest", "")
    if not _DIGEST.fullmatch(digest):
        raise InvalidRequest("digest", "the page's form carries the text's digest: reload it")
    found.statement_desk.approve(incident_id, statement_id, session.answerer(), digest)
    logger.info("console: statement approved", extra={"statement_id": statement_id})
    return _back(incident_id, "approved")


@console.route(BASE + "/statements/{statement_id}/publish", methods=["POST"], content_types=FORMS)
@pages
def publish_statement(incident_id: str, statement_id: str) -> Response:
    found, session, _ = _start(incident_id, Scope.STATEMENTS)
    _statement(incident_id, statement_id)
    publication = found.statement_desk.publish(incident_id, statement_id, session.answerer())
    logger.info(
        "console: statement published",
        extra={"statement_id": statement_id, "sent": publication.sent},
    )
    return _back(incident_id, "published")


def _statement(incident_id: str, statement_id: str) -> None:
    if not _STATEMENT_ID.fullmatch(statement_id):
        raise NotFound(f"incident {incident_id} has no statement {statement_id}")
