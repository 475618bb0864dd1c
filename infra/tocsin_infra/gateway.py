"""API Gateway's own answers, in Tocsin's error shape.

A request no route matches never reaches the function: API Gateway answers it itself, by
default 403 ``{"message": "Missing Authentication Token"}`` (or, with an ``Authorization``
header, a complaint about AWS signatures). Tocsin's API uses no AWS signatures, so both mean
"no such route": they answer the app's own 404 (``chalicelib.api.errors.NO_ROUTE``), which the
local stack's stand-in for the gateway (``local/api_gateway.py``) answers too. Every other
error API Gateway makes (throttling, a request too large, an integration timeout) keeps its
status but speaks Tocsin's shape.

The responses are part of the API's OpenAPI definition (``x-amazon-apigateway-gateway-responses``)
rather than separate GatewayResponse resources: every deployment of the API then carries them
(SAM names each deployment by a hash of the definition), where separate resources are dropped
by a redeployment that does not know them.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnResource

from chalicelib.api.errors import NO_ROUTE, NO_ROUTE_STATUS

EXTENSION = "x-amazon-apigateway-gateway-responses"
NO_ROUTE_TYPES = ("MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE", "RESOURCE_NOT_FOUND")
JSON_HEADER = {"gatewayresponse.header.Content-Type": "'application/json'"}


def _shaped(
    code: str, status: int | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """API Gateway's own message (``messageString`` is it as a JSON string) in Tocsin's shape."""
    response: dict[str, Any] = {
        "responseParameters": {
            **JSON_HEADER,
            **{
                f"gatewayresponse.header.{name}": f"'{value}'"
                for name, value in (headers or {}).items()
            },
        },
        "responseTemplates": {
            "application/json": (
                f'{{"error": {{"code": "{code}", "message": $context.error.messageString}}}}'
            )
        },
    }
    if status is not None:
        response["statusCode"] = str(status)
    return response


def gateway_responses() -> dict[str, Any]:
    not_found = {
        "statusCode": str(NO_ROUTE_STATUS),
        "responseParameters": JSON_HEADER,
        "responseTemplates": {"application/json": json.dumps(NO_ROUTE)},
    }
    return {
        **{response_type: not_found for response_type in NO_ROUTE_TYPES},
        "THROTTLED": _shaped("rate_limited", 429, {"Retry-After": "1"}),
        "REQUEST_TOO_LARGE": _shaped("payload_too_large", 413),
        "DEFAULT_4XX": _shaped("request_refused"),
        "DEFAULT_5XX": _shaped("unavailable", headers={"Retry-After": "5"}),
    }


def add_gateway_responses(rest_api: CfnResource) -> None:
    """Put Tocsin's gateway responses into the Chalice app's API definition."""
    rest_api.add_property_override(f"DefinitionBody.{EXTENSION}", gateway_responses())
