"""``POST /v1/incidents/{id}/updates``: an update to everyone the incident reached, in their
language, and an update statement drafted for each of its audiences (approved like any).

A personal key with the ``statements`` scope: an update is a person speaking for the response,
and the timeline says who, with which key.
"""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

updates = Blueprint(__name__)

_INCIDENT_ID = re.compile(r"inc_[0-9A-HJKMNP-TV-Z]{26}")


@updates.route("/v1/incidents/{incident_id}/updates", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def post_update(incident_id: str) -> Response:
    from chalicelib.core.updates.rhythm import parse_update

    services = container()
    request = updates.current_request
    document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.STATEMENTS)
    if key.contact_id is None:
        raise Forbidden(
            f"the key {key.name!r} is not a personal key: updates are posted by people, each "
            "with their own key (tocsin keys create NAME --scope statements --contact ID)"
        )
    if not _INCIDENT_ID.fullmatch(incident_id):
        raise NotFound(f"no incident {incident_id}")
    wanted = parse_update(document)
    who = Answerer.by_personal_key(key.name, key.contact_id)
    sent = services.update_desk.post(incident_id, who, wanted)
    set_correlation_id(incident_id)
    logger.info(
        "update posted",
        extra={"number": sent.number, "people": sent.people, "contact_id": key.contact_id},
    )
    return Response(body=sent.document(), status_code=202)
