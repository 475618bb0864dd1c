"""Messages held past the budget: ``GET /v1/holds``, ``POST /v1/holds/{hold_id}/release`` and
``/cancel``.

Releasing or cancelling needs a personal key with the ``spend`` scope (``tocsin keys create NAME
--scope spend --contact CONTACT_ID``) of a person holding the playbook's release role: the
timeline says who decided.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.spend.ports import Hold

holds = Blueprint(__name__)

_HOLD_ID = re.compile(r"hld_[0-9A-HJKMNP-TV-Z]{26}")


@holds.route("/v1/holds", methods=["GET"])
@json_errors
def list_holds() -> dict[str, Any]:
    from chalicelib.core.spend.ports import HoldState

    services = container()
    request = holds.current_request
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(Scope.READ)
    query: Mapping[str, str] = request.query_params or {}
    unknown = sorted(set(query) - {"state"})
    if unknown:
        raise InvalidRequest(unknown[0], "unknown parameter; the list takes state")
    wanted = query.get("state", "held")
    states = [state.value for state in HoldState]
    if wanted != "all" and wanted not in states:
        raise InvalidRequest("state", f"must be one of {', '.join(states)} or all; got {wanted!r}")
    found = services.hold_desk.recent(None if wanted == "all" else HoldState(wanted))
    return {"holds": [hold_document(hold) for hold in found]}


@holds.route("/v1/holds/{hold_id}/release", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def release_hold(hold_id: str) -> dict[str, Any]:
    services, person = _person()
    _known(hold_id)
    hold = services.hold_desk.release(hold_id, person, "api")
    _log("hold released", hold, person)
    return hold_document(hold)


@holds.route("/v1/holds/{hold_id}/cancel", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def cancel_hold(hold_id: str) -> dict[str, Any]:
    services, person = _person()
    _known(hold_id)
    hold = services.hold_desk.cancel(hold_id, person, "api")
    _log("hold cancelled", hold, person)
    return hold_document(hold)


def hold_document(hold: Hold) -> dict[str, Any]:
    return {
        "hold_id": hold.hold_id,
        "incident_id": hold.incident_id,
        "state": hold.state.value,
        "messages": {channel.value: n for channel, n in sorted(hold.messages.items())},
        "units": {channel.value: n for channel, n in sorted(hold.units.items())},
        "estimated_usd": round(hold.estimated_usd, 4),
        "created_at": hold.created_at.isoformat(),
        "settled_at": hold.settled_at.isoformat() if hold.settled_at else None,
        "settled_by": hold.settled_by,
    }


def _person() -> tuple[Container, str]:
    services = container()
    request = holds.current_request
    given = request.raw_body or b""
    raw = given if isinstance(given, bytes) else given.encode()
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.SPEND)
    return services, key.require_person()


def _known(hold_id: str) -> None:
    if not _HOLD_ID.fullmatch(hold_id):
        raise NotFound(f"no hold {hold_id!r}")


def _log(what: str, hold: Hold, person: str) -> None:
    set_correlation_id(hold.incident_id)
    logger.info(what, extra={"hold_id": hold.hold_id, "messages": hold.count, "by": person})
