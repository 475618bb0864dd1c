"""The deployed API answers what the app and the local stack answer: Tocsin's own 404 for an
unknown route or method, and Tocsin's error shape for the errors API Gateway makes itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.api.errors import NO_ROUTE
from chalicelib.storage.tables import INCIDENTS, LIST_INDEX
from tests.conftest import Synthesis


def responses(synthesis: Synthesis) -> dict[str, Any]:
    [api] = synthesis.resources("AWS::Serverless::Api").values()
    return dict(api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"])


@pytest.mark.parametrize(
    "response_type", ["MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE", "RESOURCE_NOT_FOUND"]
)
def test_no_route_is_tocsins_own_404(synthesis: Synthesis, response_type: str) -> None:
    response = responses(synthesis)[response_type]
    assert response["statusCode"] == "404"
    assert json.loads(response["responseTemplates"]["application/json"]) == NO_ROUTE
    assert response["responseParameters"] == {
        "gatewayresponse.header.Content-Type": "'application/json'"
    }


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("THROTTLED", "429", "rate_limited"),
        ("REQUEST_TOO_LARGE", "413", "payload_too_large"),
        ("DEFAULT_4XX", None, "request_refused"),
        ("DEFAULT_5XX", None, "unavailable"),
    ],
)
def test_api_gateways_own_errors_speak_tocsins_shape(
    synthesis: Synthesis, response_type: str, status: str | None, code: str
) -> None:
    response = responses(synthesis)[response_type]
    assert response.get("statusCode") == status
    template = response["responseTemplates"]["application/json"]
    # API Gateway puts its message in as a JSON string ($context.error.messageString).
    message = 'Endpoint request timed out "quoted"'
    rendered = template.replace("$context.error.messageString", json.dumps(message))
    assert json.loads(rendered) == {"error": {"code": code, "message": message}}


def test_the_lists_index_is_deployed_as_the_tables_module_defines_it(
    synthesis: Synthesis,
) -> None:
    [incidents] = [
        t
        for t in synthesis.resources("AWS::DynamoDB::Table").values()
        if t["Properties"]["TableName"] == f"tocsin-test-{INCIDENTS.logical_name}"
    ]
    deployed = {i["IndexName"]: i for i in incidents["Properties"]["GlobalSecondaryIndexes"]}
    expected = {
        i["IndexName"]: i for i in INCIDENTS.create_table_arguments("x")["GlobalSecondaryIndexes"]
    }
    assert set(deployed) == set(expected) == {"due", LIST_INDEX.name}
    for name, index in expected.items():
        assert deployed[name]["KeySchema"] == index["KeySchema"]
        projection = deployed[name]["Projection"]
        assert projection["ProjectionType"] == index["Projection"]["ProjectionType"]
        assert sorted(projection.get("NonKeyAttributes", [])) == sorted(
            index["Projection"].get("NonKeyAttributes", [])
        )
