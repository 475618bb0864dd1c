"""The local development key is refused on every deployed stage, even if it were stored."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from chalicelib import wiring
from chalicelib.api.auth import authenticate
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import AuthenticationFailed
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import generate_api_key


def deployed(world: boto3.Session) -> wiring.Container:
    return wiring.Container(Settings.from_environment({"TOCSIN_STAGE": "prod"}), world)


def test_the_local_key_is_not_valid_on_a_deployed_stage(world: boto3.Session) -> None:
    services = deployed(world)
    assert services.settings.local_api_key is None
    with pytest.raises(AuthenticationFailed, match="not valid on this stage"):
        authenticate("local-dev-key", services, {})


def test_a_stored_key_is_accepted_on_a_deployed_stage(world: boto3.Session) -> None:
    services = deployed(world)
    key = generate_api_key()
    services.api_keys.add(key, ApiKey("monitoring", frozenset({Scope.TRIGGER})), datetime.now(UTC))
    assert authenticate(key, services, {}).name == "monitoring"
