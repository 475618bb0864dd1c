"""The contacts API (personal data): ``PUT``, ``GET`` and ``DELETE /v1/contacts/{contact_id}``,
and ``GET /v1/erasures/{job_id}``.

Needs a key with the ``contacts`` scope. Bodies are validated like CSV rows (E.164 numbers,
normalised addresses, known roles and teams). Every read, save and erasure is on record with the
key's name (``tocsin contacts audit ID``). Erasure is a job: ``DELETE`` answers 202 with its id
at once, and ``GET /v1/erasures/{job_id}`` shows how far it is. Logs name the contact id, never
the person.
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.core.people import FIELDS, contact_document, contact_from_row, is_contact_id
from chalicelib.core.privacy.audit import AccessAction, Actor
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

contacts = Blueprint(__name__)
_JOB_ID = re.compile(r"era_[0-9A-HJKMNP-TV-Z]{26}")


@contacts.route("/v1/contacts/{contact_id}", methods=["PUT"], content_types=ANY_CONTENT)
@json_errors
def put_contact(contact_id: str) -> Response:
    services = container()
    request = contacts.current_request
    document, body = json_body(request, services.settings.max_body_bytes)
    actor = _authorise(services, body)
    if not isinstance(document, dict):
        raise InvalidRequest("$", "the contact must be a JSON object")
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise InvalidRequest(unknown[0], "unknown field")
    if document.get("contact_id", contact_id) != contact_id:
        raise InvalidRequest("contact_id", "must match the path")
    playbook = services.playbooks.load()
    result = contact_from_row(
        {**document, "contact_id": contact_id}, set(playbook.roles), set(playbook.teams)
    )
    outcome = services.contact_access.save(result, actor)
    logger.info("contact saved", extra={"contact_id": contact_id, "outcome": outcome.value})
    return Response(
        body={"contact_id": contact_id, "outcome": outcome.value},
        status_code=201 if outcome is AccessAction.CREATED else 200,
    )


@contacts.route("/v1/contacts/{contact_id}", methods=["GET"])
@json_errors
def get_contact(contact_id: str) -> dict[str, Any]:
    services = container()
    actor = _authorise(services)
    _known(contact_id)
    return contact_document(services.contact_access.read(contact_id, actor))


@contacts.route("/v1/contacts/{contact_id}", methods=["DELETE"])
@json_errors
def delete_contact(contact_id: str) -> Response:
    """Erase the person: out of the directory at once, then pseudonymised in every record by a
    job (202 with its id; a second request while it runs answers with the same job)."""
    services = container()
    actor = _authorise(services)
    _known(contact_id)
    started = services.erasure.start(contact_id, actor)
    logger.info(
        "contact erasure started" if started.begun else "contact erasure already running",
        extra={"erasure_job": started.job.job_id},
    )
    return Response(
        body=started.job.to_document(),
        status_code=202,
        headers={"Location": f"/v1/erasures/{started.job.job_id}"},
    )


@contacts.route("/v1/erasures/{job_id}", methods=["GET"])
@json_errors
def get_erasure(job_id: str) -> dict[str, Any]:
    """How far an erasure is, and what it changed: counts, never the data."""
    services = container()
    _authorise(services)
    if not _JOB_ID.fullmatch(job_id):
        raise NotFound(f"no erasure {job_id}")
    return services.erasure.status(job_id).to_document()


def _authorise(services: Container, body: bytes = b"") -> Actor:
    request = contacts.current_request
    key = authenticate(bearer_key(request.headers), services, request, body)
    key.require(Scope.CONTACTS)
    return Actor(f"key {key.name}", "api")


def _known(contact_id: str) -> None:
    if not is_contact_id(contact_id):
        raise NotFound(f"no contact {contact_id}")
