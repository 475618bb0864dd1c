"""The contacts API (personal data): ``PUT``, ``GET`` and ``DELETE /v1/contacts/{contact_id}``.

Needs a key with the ``contacts`` scope. Bodies are validated like CSV rows (E.164 numbers,
normalised addresses, known roles and teams). Logs name the contact id, never the person.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.core.model import Contact
from chalicelib.core.people import FIELDS, contact_document, contact_from_row, is_contact_id
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

contacts = Blueprint(__name__)


@contacts.route("/v1/contacts/{contact_id}", methods=["PUT"], content_types=ANY_CONTENT)
@json_errors
def put_contact(contact_id: str) -> Response:
    services = container()
    request = contacts.current_request
    document, body = json_body(request, services.settings.max_body_bytes)
    _authorise(services, body)
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
    before = services.directory.get_contacts([contact_id]).get(contact_id)
    outcome = "unchanged" if before == result else ("updated" if before else "created")
    if outcome != "unchanged":
        services.directory.put(result)
    logger.info("contact saved", extra={"contact_id": contact_id, "outcome": outcome})
    return Response(
        body={"contact_id": contact_id, "outcome": outcome},
        status_code=201 if outcome == "created" else 200,
    )


@contacts.route("/v1/contacts/{contact_id}", methods=["GET"])
@json_errors
def get_contact(contact_id: str) -> dict[str, Any]:
    services = container()
    _authorise(services)
    return contact_document(_existing(services, contact_id))


@contacts.route("/v1/contacts/{contact_id}", methods=["DELETE"])
@json_errors
def delete_contact(contact_id: str) -> dict[str, Any]:
    """Erase the person: removed from contacts, pseudonymised in incident records."""
    services = container()
    _authorise(services)
    _existing(services, contact_id)
    pseudonym, records = services.erase_contact(contact_id)
    logger.info("contact erased", extra={"pseudonym": pseudonym, "records": records})
    return {"erased": True, "pseudonym": pseudonym, "records_rewritten": records}


def _authorise(services: Container, body: bytes = b"") -> None:
    request = contacts.current_request
    key = authenticate(bearer_key(request.headers), services, request, body)
    key.require(Scope.CONTACTS)


def _existing(services: Container, contact_id: str) -> Contact:
    contact = (
        services.directory.get_contacts([contact_id]).get(contact_id)
        if is_contact_id(contact_id)
        else None
    )
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact
