"""Shared fixtures: fake AWS credentials, moto, the seeded world, and the Chalice test client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from chalicelib import wiring
from chalicelib.settings import Settings
from local import moto_fixes

moto_fixes.apply()  # moto's TransactWriteItems copies each table once, not once an action

PROJECT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"
SHARED_SAMPLES = PROJECT.parent / "shared" / "samples" / "events"
LOCAL_KEY = "local-dev-key"


def load_event(name: str) -> Any:
    """A fixture payload from ``tests/events``."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True, scope="session")
def _one_model_loader() -> Iterator[None]:
    """Every boto3 session of the run reads AWS's service models through one loader.

    Each test builds its own sessions and clients (as each Lambda container does once), and
    botocore reads and parses a service's model JSON again for every new session: about 40 ms a
    client, most of an end-to-end test's setup. The models are read-only data, so the run
    shares them; what a client does with them is unchanged.
    """
    shared = botocore.loaders.create_loader()

    def register(session: botocore.session.Session) -> None:
        session._components.lazy_register_component("data_loader", lambda: shared)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session.Session, "_register_data_loader", register)
        yield


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test can reach real AWS, whatever the machine's credentials say."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("TOCSIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("TOCSIN_STAGE", "local")  # said outright: an unset stage fails closed
    # Pacing to AWS's real quotas is tested with simulated time (test_quota.py); here it would
    # only slow the suite down.
    for variable in ("TOCSIN_SMS_PARTS_PER_SECOND", "TOCSIN_EMAILS_PER_SECOND"):
        monkeypatch.setenv(variable, "1000")
    monkeypatch.setenv("TOCSIN_VOICE_CALLS_PER_SECOND", "1000")
    wiring.reset()
    yield
    wiring.reset()


@pytest.fixture
def settings() -> Settings:
    return Settings.from_environment({"TOCSIN_STAGE": "local"})


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session()


@pytest.fixture
def world(aws: boto3.Session, settings: Settings) -> boto3.Session:
    """moto with Tocsin's tables, queues and sender identity, the example playbook and
    contacts, and the local API key: what ``make run`` builds."""
    from local.bootstrap import create_resources, seed

    create_resources(settings, aws)
    seed(settings, aws)
    return aws
