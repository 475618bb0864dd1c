"""Opsgenie's Alert API at its own paths, with ``Authorization: GenieKey <Tocsin API key>``.

| request                                          | scope   | answer                       |
| POST /v2/alerts                                  | trigger | 202 result, took, requestId  |
| POST /v2/alerts/{id}/acknowledge, /close         | resolve | 202 (404: no such alert)     |
| POST /v2/alerts/{id}/notes                       | resolve | 202                          |
| GET /v2/alerts/{id}, GET /v2/alerts?query=       | read    | 200 data                     |
| GET /v2/alerts/requests/{requestId}              | any     | 200 data (404 until decided) |
| GET or POST /v2/heartbeats/{name}/ping           | bound   | 202 PONG (404: undeclared)   |

``identifierType`` is ``id`` (the default), ``alias`` or ``tiny``. Only the alerts of the key's
own dedup namespace (issue #17's ``ApiKey.dedup_namespace``) are found. A heartbeat ping is
issue #24's (``services.heartbeats.ping``): the key must be bound to the heartbeat
(``tocsin keys create NAME --heartbeat ID``), which the playbook must declare. Errors come as
Opsgenie's ``{"message", "took", "requestId"}``; wrong fields are 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from chalice.app import Blueprint, Request, Response

from chalicelib.api.auth import authenticate, genie_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.dropin import Caller, Stopwatch, accept, defaults, optional_json
from chalicelib.api.errors import errors_as, opsgenie_envelope
from chalicelib.core.access import Scope
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.dropin.alerts import Intake
    from chalicelib.core.dropin.ports import Alert, RequestStatus


opsgenie_dropin = Blueprint(__name__)
PROCESSING = "Request will be processed"
GENIEKEY = "send 'Authorization: GenieKey <api key>'"


@opsgenie_dropin.route("/v2/alerts", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(opsgenie_envelope)
def create_alert() -> Response:
    from chalicelib.integrations.opsgenie import new_alert

    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    payload, body = json_body(request, services.settings.max_body_bytes)
    caller = _caller(services, request, body, counts_events=True)
    wanted, document = new_alert(caller.withheld(payload), defaults(caller.key))
    logged = services.alert_desk.create(
        caller.namespace, wanted, document, _intake(services, caller, payload)
    )
    return Response(watch.answer({"result": PROCESSING}, logged.request_id), status_code=202)


@opsgenie_dropin.route(
    "/v2/alerts/{identifier}/acknowledge", methods=["POST"], content_types=ANY_CONTENT
)
@errors_as(opsgenie_envelope)
def acknowledge_alert(identifier: str) -> Response:
    return _answer(identifier, "acknowledge")


@opsgenie_dropin.route("/v2/alerts/{identifier}/close", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(opsgenie_envelope)
def close_alert(identifier: str) -> Response:
    return _answer(identifier, "resolve")


@opsgenie_dropin.route("/v2/alerts/{identifier}/notes", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(opsgenie_envelope)
def add_note(identifier: str) -> Response:
    from chalicelib.integrations.opsgenie import action_note

    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    payload = optional_json(request, services.settings.max_body_bytes)
    caller = _caller(services, request, _raw(request))
    caller.key.require(Scope.RESOLVE)
    logged = services.alert_desk.add_note(
        caller.namespace,
        _decoded(identifier),
        _identifier_type(request),
        action_note(caller.withheld(payload)),
    )
    return Response(watch.answer({"result": PROCESSING}, logged.request_id), status_code=202)


@opsgenie_dropin.route("/v2/alerts/{identifier}", methods=["GET"])
@errors_as(opsgenie_envelope)
def get_alert(identifier: str) -> dict[str, Any]:
    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    caller = _caller(services, request)
    caller.key.require(Scope.READ)
    alert = services.alert_desk.find(
        caller.namespace, _decoded(identifier), _identifier_type(request)
    )
    return watch.answer({"data": alert_document(alert, full=True)})


@opsgenie_dropin.route("/v2/alerts", methods=["GET"])
@errors_as(opsgenie_envelope)
def list_alerts() -> dict[str, Any]:
    """A documented subset of Opsgenie's search (``core/dropin/query.py``), newest first."""
    from chalicelib.core.dropin.query import parse_page, parse_query

    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    caller = _caller(services, request)
    caller.key.require(Scope.READ)
    query = _query(request)
    wanted = parse_query(query.get("query"))
    page = parse_page(
        query.get("offset"), query.get("limit"), query.get("sort"), query.get("order")
    )
    found = services.alert_desk.list(caller.namespace, wanted, page)
    order = "desc" if page.newest_first else "asc"
    here = {"query": query.get("query") or "", "limit": page.limit, "sort": "createdAt"}
    paging = {"first": _page_link({**here, "offset": 0, "order": order})}
    if len(found) == page.limit:
        paging["next"] = _page_link({**here, "offset": page.offset + page.limit, "order": order})
    return watch.answer({"data": [alert_document(a, full=False) for a in found], "paging": paging})


@opsgenie_dropin.route("/v2/alerts/requests/{requestId}", methods=["GET"])
@errors_as(opsgenie_envelope)
def get_request_status(requestId: str) -> dict[str, Any]:
    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    caller = _caller(services, request)
    found = services.alert_desk.status(caller.namespace, _decoded(requestId))
    return watch.answer({"data": status_document(found)})


@opsgenie_dropin.route(
    "/v2/heartbeats/{name}/ping", methods=["GET", "POST"], content_types=ANY_CONTENT
)
@errors_as(opsgenie_envelope)
def ping_heartbeat(name: str) -> Response:
    """A tool says it is alive: issue #24's ping, as ``POST /v1/heartbeats/{id}`` (the key
    must be bound to the heartbeat; one the playbook does not declare is 404), answered in
    Opsgenie's envelope. The body, if any, is ignored."""
    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    caller = _caller(services, request, _raw(request))
    ping = services.heartbeats.ping(_decoded(name), caller.key)
    logger.info(
        "heartbeat ping",
        extra={"heartbeat": ping.heartbeat_id, "key": caller.key.name, "resolving": ping.resolving},
    )
    body = {
        "result": "PONG - Heartbeat received",
        "heartbeat": ping.heartbeat_id,
        "dueBy": _time(ping.due_by),  # Tocsin's: when a silence becomes a miss
    }
    return Response(watch.answer(body), status_code=202)


def _answer(identifier: str, action: str) -> Response:
    from chalicelib.integrations.opsgenie import action_note

    watch = Stopwatch()
    services, request = container(), opsgenie_dropin.current_request
    payload = optional_json(request, services.settings.max_body_bytes)
    caller = _caller(services, request, _raw(request))
    logged = services.alert_desk.answer(
        caller.namespace,
        _decoded(identifier),
        _identifier_type(request),
        action,
        action_note(caller.withheld(payload)),
        # the request was counted when it was authenticated; its one event is not again
        _intake(services, caller, payload, counted=False),
    )
    return Response(watch.answer({"result": PROCESSING}, logged.request_id), status_code=202)


def _caller(
    services: Container, request: Request, body: bytes = b"", counts_events: bool = False
) -> Caller:
    """Issue #17's authentication: a valid key, allowed on this path (opsgenie's), signed if
    it must be, within its rate (``counts_events``: the event is counted when it is accepted)."""
    credential = genie_key(request.headers)
    key = authenticate(
        credential, services, request, body, how=GENIEKEY, counts_events=counts_events
    )
    return Caller(key, credential, "opsgenie")


def _intake(services: Container, caller: Caller, original: Any, counted: bool = True) -> Intake:
    return lambda document: accept(services, caller, dict(document), original, counted)


def _decoded(parameter: str) -> str:
    """A path parameter as the client meant it: clients percent-encode aliases ("db-1/disk"
    arrives as db-1%2Fdisk) and not every router decodes them."""
    return unquote(parameter) if "%" in parameter else parameter


def _identifier_type(request: Request) -> str | None:
    return _query(request).get("identifierType")


def _query(request: Request) -> Mapping[str, str]:
    """The query string (the last value of a repeated name)."""
    return dict(request.query_params or {})


def _raw(request: Request) -> bytes:
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def _page_link(values: Mapping[str, Any]) -> str:
    return "/v2/alerts?" + urlencode(values)


def alert_document(alert: Alert, full: bool) -> dict[str, Any]:
    """An alert in Opsgenie's shape (``full``: with what only ``GET /v2/alerts/{id}`` has)."""
    document: dict[str, Any] = {
        "id": alert.alert_id,
        "tinyId": alert.tiny_id,
        "alias": alert.alias,
        "message": alert.message,
        "status": alert.status.value,
        "acknowledged": alert.acknowledged,
        "isSeen": alert.acknowledged,
        "tags": list(alert.tags),
        "snoozed": False,
        "count": alert.count,
        "lastOccurredAt": _time(alert.last_occurred_at or alert.created_at),
        "createdAt": _time(alert.created_at),
        "updatedAt": _time(alert.updated_at),
        "source": alert.source or "",
        "owner": "",
        "priority": alert.priority,
        # As Opsgenie shows them, with an id; all of them as sent are on the event's timeline.
        "responders": [{"type": r["type"], "id": r["id"]} for r in alert.responders if r.get("id")],
        "integration": {"id": alert.sender, "name": alert.sender, "type": "API"},
        "report": _report(alert),
    }
    if full:
        document |= {
            "actions": list(alert.actions),
            "entity": alert.entity or "",
            "description": alert.description or "",
            "details": dict(alert.details),
        }
    return document


def status_document(found: RequestStatus) -> dict[str, Any]:
    request, decision = found.request, found.decision
    document: dict[str, Any] = {
        "success": request.success,
        "action": request.action,
        "processedAt": _time(found.processed_at),
        "integrationId": request.sender,
        "isSuccess": request.success,
        "status": request.status,
        "alertId": request.alert_id,
        "alias": request.alias,
    }
    if decision is not None:
        # What Tocsin decided on the request's event; Opsgenie clients ignore it.
        document["tocsin"] = {
            "eventId": request.event_id,
            "decision": decision.outcome.value,
            "reason": decision.reason,
            "incidentId": decision.incident_id,
        }
    return document


def _report(alert: Alert) -> dict[str, Any]:
    report: dict[str, Any] = {}
    if alert.acknowledged_at is not None:
        report["ackTime"] = _millis(alert.acknowledged_at - alert.created_at)
        report["acknowledgedBy"] = alert.acknowledged_by
    if alert.closed_at is not None:
        report["closeTime"] = _millis(alert.closed_at - alert.created_at)
        report["closedBy"] = alert.closed_by
    return report


def _millis(span: Any) -> int:
    return int(span.total_seconds() * 1000)


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
