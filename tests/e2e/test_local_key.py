"""The local development key is refused on every deployed stage, even if it were stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from chalice.app import Request

from chalicelib import wiring
from chalicelib.api.auth import authenticate
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import AuthenticationFailed
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import generate_api_key


def request(path: str = "/v1/events/{event_id}", method: str = "GET") -> Request:
    """A request as API Gateway hands it to Chalice."""
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": {},
            "pathParameters": {"event_id": "evt_01M84STVCFS7F5J06PS8A3D6CA"},
            "requestContext": {"httpMethod": method, "resourcePath": path},
            "body": None,
            "stageVariables": None,
        }
    )


def deployed(world: boto3.Session) -> wiring.Container:
    return wiring.Container(Settings.from_environment({"TOCSIN_STAGE": "prod"}), world)


def test_the_local_key_is_not_valid_on_a_deployed_stage(world: boto3.Session) -> None:
    services = deployed(world)
    assert services.settings.local_api_key is None
    with pytest.raises(AuthenticationFailed, match="not valid on this stage"):
        authenticate("local-dev-key", services, request())


def test_a_stored_key_is_accepted_on_a_deployed_stage(world: boto3.Session) -> None:
    services = deployed(world)
    key = generate_api_key()
    services.api_keys.add(key, ApiKey("monitoring", frozenset({Scope.TRIGGER})), datetime.now(UTC))
    assert authenticate(key, services, request()).name == "monitoring"


def test_a_function_without_its_stage_refuses_even_the_local_key(
    world: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployed function that lost TOCSIN_STAGE: every request fails, nothing is accepted."""
    from chalice.test import Client

    from app import app
    from tests.conftest import LOCAL_KEY, PROJECT
    from tests.e2e.test_bad_input import GOOD, nothing_was_accepted

    monkeypatch.delenv("TOCSIN_STAGE")
    wiring.reset()
    # A stage the project's config does not know: only the variables common to every stage.
    with Client(app, stage_name="unnamed", project_dir=str(PROJECT)) as client:
        answer = client.http.post(
            "/v1/events",
            headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
            body=json.dumps(GOOD).encode(),
        )
    assert answer.status_code == 500
    assert LOCAL_KEY not in answer.body.decode()
    monkeypatch.setenv("TOCSIN_STAGE", "local")
    assert nothing_was_accepted(world, Settings.from_environment())
