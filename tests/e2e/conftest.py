"""The app through ``chalice.test.Client``, with the local runner draining moto's queues."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel
from chalicelib.core.ports import Clock
from chalicelib.settings import Settings, get_settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.browser import launch_browser


class Api:
    """Small helpers over the Chalice test client, speaking the way an integrator would."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post_event(
        self,
        document: Any,
        key: str | None = LOCAL_KEY,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ) -> Any:
        headers = {"Content-Type": content_type}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        body = raw if raw is not None else json.dumps(document).encode()
        return self.client.http.post("/v1/events", headers=headers, body=body)

    def get(self, path: str, key: str = LOCAL_KEY) -> Any:
        return self.client.http.get(path, headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def client(world: boto3.Session) -> Iterator[Client]:
    with Client(app, stage_name="local", project_dir=str(PROJECT)) as chalice_client:
        yield chalice_client


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


@pytest.fixture
def runner(client: Client, world: boto3.Session) -> QueueRunner:
    return QueueRunner(app, client.lambda_.invoke, session=world, retry_delay=0)


def use_container(
    session: boto3.Session | None = None,
    clock: Clock | None = None,
    channels: Mapping[Channel, ChannelSender] | None = None,
    **settings: Any,
) -> wiring.Container:
    """The container the handlers will use, built with what the test injects (a clock, a
    channel, a session whose clients carry a fault, a setting) through its constructor."""
    chosen = dataclasses.replace(get_settings(), **settings)
    return wiring.install(wiring.Container(chosen, session, clock=clock, channels=channels))


def sent_sms(session: boto3.Session) -> list[tuple[str, str]]:
    """(phone, body) of every SMS moto's SNS recorded."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    backend = sns_backends[DEFAULT_ACCOUNT_ID][session.region_name]
    return [(phone, body) for phone, body, *_ in backend.sms_messages.values()]


def sent_email(session: boto3.Session) -> list[tuple[str, str]]:
    """(recipient, subject) of every email moto's SES recorded."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][session.region_name]
    return [
        (recipient, message.subject)
        for message in backend.sent_messages
        for recipient in message.destinations["ToAddresses"]
    ]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium for the page tests (skipped where none can be installed, not in CI)."""
    yield from launch_browser()


class ChaliceTransport:
    """The ``tocsin`` command's HTTP transport, handing each request to the app in process:
    the command, its client and the routes all run as they do against a deployed API."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        answer = self._client.http.request(method, path, headers=dict(headers), body=body or b"")
        return int(answer.status_code), bytes(answer.body)


@pytest.fixture
def key_maker(world: boto3.Session, settings: Settings) -> Callable[..., str]:
    """``key_maker(name, scopes, **options)``: a new API key (the key itself, shown once)."""
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)

    def make(name: str, scopes: set[Scope], **options: Any) -> str:
        key = generate_api_key()
        store.add(key, ApiKey(name, frozenset(scopes), **options), datetime.now(UTC))
        return key

    return make
