"""What publish_site is asked, and what it answers (chalicelib/channels/lambda_site.py sends
the requests and reads the answers). Pure: the request checked, the poster called, a send error
answered as data (a raised error would read as the function's own failure, to be retried)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import InvalidRequest, PermanentSendError, SendError, TransientSendError
from chalicelib.core.site.ports import SitePoster, SitePosting

_ID_LENGTH = 200


def handle(poster: SitePoster, request: Any) -> dict[str, Any]:
    """publish_site's whole work: ``{"posted": ...}`` or ``{"error": ...}``."""
    try:
        posting = _run(poster, request)
    except InvalidRequest as error:
        return _error(PermanentSendError("invalid_request", str(error)))
    except SendError as error:
        return _error(error)
    return {"posted": None if posting is None else posting_data(posting)}


def posting_data(posting: SitePosting) -> dict[str, Any]:
    return {
        "release_id": posting.release_id,
        "size": posting.size,
        "cache_cleared": posting.cache_cleared,
    }


def _run(poster: SitePoster, request: Any) -> SitePosting | None:
    if not isinstance(request, dict):
        raise InvalidRequest("request", "must be an object")
    action = request.get("action")
    if action == "refresh":
        version = request.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidRequest("version", "must be a playbook version (1 or more)")
        return poster.refresh(version)
    if action != "post":
        raise InvalidRequest("action", "must be 'post' or 'refresh'")
    ids = [request.get("incident_id"), request.get("statement_id")]
    for name, value in zip(("incident_id", "statement_id"), ids, strict=True):
        if not isinstance(value, str) or not 0 < len(value) <= _ID_LENGTH:
            raise InvalidRequest(name, f"must be a string of 1 to {_ID_LENGTH} characters")
    return poster.post(str(ids[0]), str(ids[1]))


def _error(error: SendError) -> dict[str, Any]:
    transient = isinstance(error, TransientSendError)
    return {"error": {"code": error.code, "message": error.message, "transient": transient}}
