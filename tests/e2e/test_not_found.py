"""Unknown routes and methods answer Tocsin's own 404 (its error shape, never an AWS message):
in the app, through the stand-in for API Gateway's gateway responses, and on the local stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Response
from chalice.test import Client

from chalicelib.api.errors import NO_ROUTE, NO_ROUTE_STATUS, chalice_errors_in_tocsin_shape
from tests.conftest import LOCAL_KEY

UNKNOWN = [
    ("GET", "/v1/nothing-here"),
    ("GET", "/v1/incidents/inc_01M6B1YQ006EMTW12P27F9HM52/timeline/extra"),
    ("GET", "/"),
    ("POST", "/v2/events"),
    ("DELETE", "/v1/events"),  # a route, but not a method it takes
    ("PUT", "/v1/incidents"),
    ("PATCH", "/v1/events/evt_01M6B1YQ006EMTW12P27F9HM52"),
    ("GET", "/v1/integrations/alertmanager"),
]


@pytest.mark.parametrize("with_key", [True, False], ids=["with a key", "without a key"])
@pytest.mark.parametrize(("method", "path"), UNKNOWN)
def test_an_unknown_route_or_method_is_tocsins_own_404(
    client: Client, method: str, path: str, with_key: bool
) -> None:
    headers = {"Authorization": f"Bearer {LOCAL_KEY}"} if with_key else {}
    answer = client.http.request(method, path, headers=headers)
    assert answer.status_code == NO_ROUTE_STATUS
    assert json.loads(answer.body) == NO_ROUTE
    assert answer.headers["Content-Type"] == "application/json"
    assert "Allow" not in answer.headers


def chalice_error(code: str, status: int, headers: dict[str, str] | None = None) -> Any:
    def answer(request: Any) -> Response:
        return Response(
            body={"Code": code, "Message": "chalice's words"},
            status_code=status,
            headers=headers or {},
        )

    return answer


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("MethodNotAllowedError", 405, (404, "not_found")),
        ("UnsupportedMediaType", 415, (415, "unsupported_media_type")),
        ("BadRequest", 400, (400, "invalid_request")),
        ("InternalServerError", 500, (500, "internal_error")),
        ("SomethingNewInChalice", 502, (502, "internal_error")),
    ],
)
def test_errors_chalice_answers_itself_come_out_in_tocsins_shape(
    code: str, status: int, expected: tuple[int, str]
) -> None:
    response = chalice_errors_in_tocsin_shape(None, chalice_error(code, status, {"Allow": "POST"}))
    assert (response.status_code, response.body["error"]["code"]) == expected
    assert set(response.body) == {"error"} and response.body["error"]["message"]
    assert "Allow" not in response.headers


def test_tocsins_own_answers_pass_through_untouched() -> None:
    mine = Response(
        body={"error": {"code": "not_found", "message": "no incident x"}}, status_code=404
    )
    assert chalice_errors_in_tocsin_shape(None, lambda request: mine) is mine
    ok = Response(body={"Code": "looks like chalice", "Message": "but 200"}, status_code=200)
    assert chalice_errors_in_tocsin_shape(None, lambda request: ok) is ok
