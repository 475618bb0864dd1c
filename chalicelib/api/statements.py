"""Statements to an incident's audiences: ``GET``/``POST /v1/incidents/{id}/statements``,
``PUT .../statements/{statement_id}`` (edit a draft nobody approved yet), and
``POST .../{statement_id}/approve``, ``/reject``, ``/publish``; ``GET /v1/channels/check``:
whether each Slack, Teams and Mastodon outlet of the playbook still works (posting nothing).

Reading needs the ``read`` scope. Everything else needs a personal key with the ``statements``
scope (``tocsin keys create NAME --scope statements --contact CONTACT_ID``): an approval counts
only as its person's, and the timeline says who did what with which key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import FieldProblem, Forbidden, InvalidRequest, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.statements.ports import Statement
    from chalicelib.core.statements.publishing import Publication


statements = Blueprint(__name__)

_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")
_STATEMENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}-[A-Za-z0-9-]{2,35}-[0-9]{1,4}")
_DIGEST = re.compile(r"[0-9a-f]{16}")
BASE = "/v1/incidents/{incident_id}/statements"


@statements.route(BASE, methods=["GET"])
@json_errors
def list_statements(incident_id: str) -> dict[str, Any]:
    services = container()
    request = statements.current_request
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(Scope.READ)
    _known(incident_id)
    found = services.statement_desk.statements(incident_id)
    return {"incident_id": incident_id, "statements": [s.document() for s in found]}


@statements.route("/v1/channels/check", methods=["GET"])
@json_errors
def check_channels() -> dict[str, Any]:
    services = container()
    request = statements.current_request
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(Scope.READ)
    found = services.channel_checks.check()
    return {
        "ok": all(health.ok for health in found),
        "channels": [
            {
                "outlet": health.outlet,
                "ok": health.ok,
                "verified": health.verified,
                "detail": health.detail,
            }
            for health in found
        ],
    }


@statements.route(BASE, methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def draft_statement(incident_id: str) -> Response:
    from chalicelib.core.statements.drafting import parse_draft

    services, who, document = _person()
    _known(incident_id)
    draft = services.statement_desk.draft(incident_id, who, parse_draft(document))
    _log("statement drafted", draft, who)
    location = f"/v1/incidents/{incident_id}/statements/{draft.statement_id}"
    return Response(body=draft.document(), status_code=201, headers={"Location": location})


@statements.route(BASE + "/{statement_id}", methods=["PUT"], content_types=ANY_CONTENT)
@json_errors
def edit_statement(incident_id: str, statement_id: str) -> dict[str, Any]:
    from chalicelib.core.statements.drafting import parse_edit

    services, who, document = _person()
    _known(incident_id, statement_id)
    subject, body = parse_edit(document)
    edited = services.statement_desk.edit(incident_id, statement_id, who, subject, body)
    _log("statement edited", edited, who)
    return edited.document()


@statements.route(BASE + "/{statement_id}/approve", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def approve_statement(incident_id: str, statement_id: str) -> dict[str, Any]:
    services, who, document = _person(body_required=False)
    _known(incident_id, statement_id)
    digest = _only(document, "digest", _DIGEST, "the digest GET returned (16 hex characters)")
    approved = services.statement_desk.approve(incident_id, statement_id, who, digest)
    _log("statement approved", approved, who)
    return approved.document()


@statements.route(BASE + "/{statement_id}/reject", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def reject_statement(incident_id: str, statement_id: str) -> dict[str, Any]:
    services, who, document = _person(body_required=False)
    _known(incident_id, statement_id)
    reason = _only(document, "reason", None, "a string of at most 1024 characters") or ""
    rejected = services.statement_desk.reject(incident_id, statement_id, who, reason.strip())
    _log("statement rejected", rejected, who)
    return rejected.document()


@statements.route(BASE + "/{statement_id}/publish", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def publish_statement(incident_id: str, statement_id: str) -> dict[str, Any]:
    services, who, _ = _person(body_required=False)
    _known(incident_id, statement_id)
    publication = services.statement_desk.publish(incident_id, statement_id, who)
    _log("statement published", publication.statement, who)
    return publication_document(publication)


def publication_document(publication: Publication) -> dict[str, Any]:
    return {
        **publication.statement.document(),
        "sent": publication.sent,
        "failed": publication.failed,
        "uncertain": publication.uncertain,
    }


def _person(body_required: bool = True) -> tuple[Container, Answerer, Any]:
    """The caller as a person: only a personal key's holder can draft, approve or publish."""
    services = container()
    request = statements.current_request
    given = request.raw_body or b""
    raw = given if isinstance(given, bytes) else given.encode()
    document: Any = {}
    if body_required or raw.strip():
        document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.STATEMENTS)
    if key.contact_id is None:
        raise Forbidden(
            f"the key {key.name!r} is not a personal key: statements are drafted, approved and "
            "published by people, each with their own key (tocsin keys create NAME --scope "
            "statements --contact CONTACT_ID)"
        )
    return services, Answerer.by_personal_key(key.name, key.contact_id), document


def _only(document: Any, name: str, pattern: re.Pattern[str] | None, what: str) -> str | None:
    if not isinstance(document, dict):
        raise InvalidRequest("$", "the body must be a JSON object")
    unknown = sorted(set(document) - {name})
    if unknown:
        raise InvalidRequest.of([FieldProblem(u, f"unknown field; only '{name}'") for u in unknown])
    value = document.get(name)
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or len(value) > 1024
        or (pattern and not pattern.fullmatch(value))
    ):
        raise InvalidRequest(name, f"must be {what}")
    return value


def _known(incident_id: str, statement_id: str | None = None) -> None:
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
    if statement_id is not None and not _STATEMENT_ID.fullmatch(statement_id):
        raise NotFound(f"incident {incident_id} has no statement {statement_id}")


def _log(what: str, statement: Statement, who: Answerer) -> None:
    set_correlation_id(statement.incident_id)
    logger.info(
        what,
        extra={
            "statement_id": statement.statement_id,
            "state": statement.state.value,
            "contact_id": who.contact_id,
        },
    )
