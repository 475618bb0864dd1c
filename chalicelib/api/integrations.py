"""``/v1/integrations/*``: the formats monitoring tools already send, authenticated their way.

| path          | format                             | key                          |
| alertmanager  | Prometheus Alertmanager webhook v4 | Authorization: Bearer <key>  |
| grafana       | Grafana alerting webhook           | Authorization: Bearer <key>  |
| pagerduty     | PagerDuty Events API v2            | ``routing_key`` in the body  |
| opsgenie      | Opsgenie create alert              | Authorization: GenieKey <key>|
| cap           | CAP 1.2 XML                        | Authorization: Bearer <key>  |

The paths each integration owns (a key bound to it may call only those) are declared once, in
``core/access.INTEGRATIONS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import BEARER, authenticate, bearer_key, genie_key, sender_for
from chalicelib.api.body import ANY_CONTENT, XML_MEDIA, json_body, raw_body
from chalicelib.api.errors import errors_as, json_errors, opsgenie_envelope, pagerduty_envelope
from chalicelib.api.idempotency import idempotent
from chalicelib.core.access import ApiKey
from chalicelib.core.model import ReceivedEvent
from chalicelib.integrations.common import Document, IntegrationDefaults
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

integrations = Blueprint(__name__)
Adapter = Callable[[Any, IntegrationDefaults], list[Document]]
Credential = Callable[[Any, Mapping[str, str]], str | None]  # (payload, headers) -> the key


@integrations.route("/v1/integrations/alertmanager", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def alertmanager() -> Response:
    from chalicelib.integrations.alertmanager import from_alertmanager

    return _json_integration("alertmanager", from_alertmanager, _accepted)


@integrations.route("/v1/integrations/grafana", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def grafana() -> Response:
    from chalicelib.integrations.grafana import from_grafana

    return _json_integration("grafana", from_grafana, _accepted)


@integrations.route("/v1/integrations/cap", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def cap() -> Response:
    from chalicelib.integrations.cap import document_text, from_cap, parse_cap_xml

    services = container()
    request = integrations.current_request
    body = raw_body(request, services.settings.max_body_bytes, XML_MEDIA, "application/xml")
    credential = bearer_key(request.headers)
    key = authenticate(credential, services, request, body, counts_events=True)

    def accept() -> Response:
        documents = from_cap(parse_cap_xml(body), _defaults(key))
        return _accepted(_accept(services, key, credential, "cap", documents, document_text(body)))

    return idempotent(services, request, key, body, accept)


@integrations.route("/v1/integrations/pagerduty", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(pagerduty_envelope)
def pagerduty() -> Response:
    from chalicelib.integrations.pagerduty import from_pagerduty, routing_key

    def answer(accepted: list[ReceivedEvent]) -> Response:
        # PagerDuty's own answer, plus where to read Tocsin's decision: its clients ignore both.
        [received] = accepted
        return Response(
            body={
                "status": "success",
                "message": "Event processed",
                "dedup_key": received.dedup_key,
                "event_id": received.event_id,
            },
            status_code=202,
            headers={"Location": f"/v1/events/{received.event_id}"},
        )

    return _json_integration(
        "pagerduty",
        from_pagerduty,
        answer,
        lambda payload, _: routing_key(payload),
        how="send the integration key as 'routing_key'",
    )


@integrations.route("/v1/integrations/opsgenie", methods=["POST"], content_types=ANY_CONTENT)
@errors_as(opsgenie_envelope)
def opsgenie() -> Response:
    from chalicelib.integrations.opsgenie import from_opsgenie

    def answer(accepted: list[ReceivedEvent]) -> Response:
        [received] = accepted
        return Response(
            body={
                "result": "Request will be processed",
                "took": 0.0,
                "requestId": received.event_id,
            },
            status_code=202,
        )

    return _json_integration(
        "opsgenie",
        from_opsgenie,
        answer,
        lambda _, headers: genie_key(headers),
        how="send 'Authorization: GenieKey <api key>'",
    )


def _json_integration(
    name: str,
    adapter: Adapter,
    respond: Callable[[list[ReceivedEvent]], Response],
    credential: Credential = lambda _, headers: bearer_key(headers),
    how: str = BEARER,
) -> Response:
    """Read the JSON body, authenticate the way the tool sends its key, map, accept, answer
    (once per Idempotency-Key)."""
    services = container()
    request = integrations.current_request
    payload, body = json_body(request, services.settings.max_body_bytes)
    presented = credential(payload, request.headers)
    key = authenticate(presented, services, request, body, how=how, counts_events=True)

    def accept() -> Response:
        documents = adapter(payload, _defaults(key))
        return respond(_accept(services, key, presented, name, documents, payload))

    return idempotent(services, request, key, body, accept)


def _accept(
    services: Container,
    key: ApiKey,
    credential: str | None,
    name: str,
    documents: list[Document],
    original: Any,
) -> list[ReceivedEvent]:
    """Accept the mapped events; the key and the format's credential fields are withheld."""
    sender = sender_for(services, key, credential, name)
    received = services.ingest.accept_many(documents, sender, format=name, original=original)
    logger.info(
        "integration events accepted",
        extra={
            "integration": name,
            "key": key.name,
            "events": len(received),
            "event_ids": [item.event_id for item in received],
        },
    )
    return received


def _accepted(received: list[ReceivedEvent]) -> Response:
    return Response(
        body={"status": "pending", "event_ids": [item.event_id for item in received]},
        status_code=202,
    )


def _defaults(key: ApiKey) -> IntegrationDefaults:
    return IntegrationDefaults(event_type=key.event_type or "it.alert", source=key.source)
