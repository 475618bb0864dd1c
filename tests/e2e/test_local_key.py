"""The local development key is refused on every deployed stage, even if it were stored."""

from __future__ import annotations

import boto3

from chalicelib import wiring
from chalicelib.api.auth import authenticate
from chalicelib.core.errors import AuthenticationFailed
from chalicelib.settings import Settings


def test_the_local_key_is_not_valid_on_a_deployed_stage(world: boto3.Session) -> None:
    services = wiring.Container(Settings.from_environment({"TOCSIN_STAGE": "prod"}), world)
    assert services.settings.local_api_key is None
    try:
        authenticate({"authorization": "Bearer local-dev-key"}, services)
    except AuthenticationFailed as refused:
        assert "not valid on this stage" in str(refused)
    else:
        raise AssertionError("the local key was accepted on a deployed stage")


def test_a_stored_key_is_accepted_on_a_deployed_stage(world: boto3.Session) -> None:
    from datetime import UTC, datetime

    from chalicelib.storage.api_keys import generate_api_key

    services = wiring.Container(Settings.from_environment({"TOCSIN_STAGE": "prod"}), world)
    key = generate_api_key()
    services.api_keys.add(key, "monitoring", datetime.now(UTC))
    assert authenticate({"authorization": f"Bearer {key}"}, services) == "monitoring"
