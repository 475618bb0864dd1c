"""``POST /v1/heartbeats/{heartbeat_id}``: a tool says it is alive.

Any key bound to the heartbeat may ping it (``tocsin keys create NAME --heartbeat ID``); the
body, if any, is ignored whatever its type, so a cron job's bare ``curl -X POST`` and
Alertmanager's webhook (its always-firing Watchdog alert) both work. Signed keys sign it as
any other request.
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, raw_body
from chalicelib.api.errors import json_errors
from chalicelib.observability import logger
from chalicelib.wiring import container

heartbeats = Blueprint(__name__)

_ANY_MEDIA = re.compile(r".*")


@heartbeats.route("/v1/heartbeats/{heartbeat_id}", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def ping_heartbeat(heartbeat_id: str) -> dict[str, Any]:
    services = container()
    request = heartbeats.current_request
    body = raw_body(request, services.settings.max_body_bytes, _ANY_MEDIA, "any")
    key = authenticate(bearer_key(request.headers), services, request, body)
    ping = services.heartbeats.ping(heartbeat_id, key)
    logger.info(
        "heartbeat ping",
        extra={"heartbeat": heartbeat_id, "key": key.name, "resolving": ping.resolving},
    )
    return {
        "heartbeat": ping.heartbeat_id,
        "received_at": ping.received_at.isoformat(),
        "due_by": ping.due_by.isoformat(),
        "resolving": ping.resolving,
    }
