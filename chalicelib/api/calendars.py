"""``GET /v1/calendars/{token}``: a person's on-call shifts, for calendar apps to subscribe to.

No key: calendar apps cannot send one, so the token in the path is the credential (issued by
``tocsin oncall calendar CONTACT``). The path parameter is the whole segment (API Gateway allows
no ``.ics`` suffix on it). Unknown links answer 404, revoked or expired ones 410, and neither
answer says whose link it was.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.errors import json_errors
from chalicelib.wiring import container

calendars = Blueprint(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


@calendars.route("/v1/calendars/{token}", methods=["GET"])
@json_errors
def personal_calendar(token: str) -> Response:
    from chalicelib.core.oncall.calendar import REFRESH  # with the calendars (cold start)

    feed = container().calendars.feed(token)
    return Response(
        body=feed,
        status_code=200,
        headers={
            "Content-Type": CONTENT_TYPE,
            # Private: the feed is one person's; shared caches must not keep it.
            "Cache-Control": f"private, max-age={int(REFRESH.total_seconds()) // 4}",
        },
    )
