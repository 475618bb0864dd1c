"""A channel that fails moves on to the next in the person's chain at once, and says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.channels.eum import EumVoiceChannel
from chalicelib.channels.sns_sms import SnsSmsChannel
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.errors import PermanentSendError
from chalicelib.core.model import Channel
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from fakes import ScriptedChannel
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox
from local.runner import QueueRunner
from tests.e2e.conftest import Api, sent_email, use_container

FAY_PHONE = "+12025550105"


def activate_site_emergency(client: Client, world: boto3.Session, settings: Settings) -> str:
    key = generate_api_key()
    DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).add(
        key,
        ApiKey(name="fay", scopes=frozenset({Scope.ACTIVATE}), contact_id="c-fay"),
        datetime.now(UTC),
    )
    answer = client.http.post(
        "/v1/plans/site-emergency/activate",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=json.dumps({"summary": "Gas leak, building B"}).encode(),
    )
    return str(answer.json_body["incident_id"])


@pytest.fixture
def voice(client: Client, world: boto3.Session) -> tuple[MessagingStandIn, Outbox, EumVoiceChannel]:
    """Voice calls through the End User Messaging stand-in."""
    outbox = Outbox()
    standin = MessagingStandIn(outbox)
    eum = world.client("pinpoint-sms-voice-v2")
    install_in_process(eum, standin)
    return standin, outbox, EumVoiceChannel(eum, "+12025550199")


def sms_failing_for_fay(world: boto3.Session, error: PermanentSendError) -> ScriptedChannel:
    return ScriptedChannel(SnsSmsChannel(world.client("sns")), {FAY_PHONE: [error]})


def fallbacks(api: Api, incident_id: str) -> list[dict[str, Any]]:
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    return [entry for entry in timeline if entry["kind"] == "fallback"]


def test_a_failed_sms_falls_back_to_a_voice_call_at_once(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    voice: tuple[MessagingStandIn, Outbox, EumVoiceChannel],
) -> None:
    failing = sms_failing_for_fay(
        world, PermanentSendError("InvalidParameter", "SNS Publish: unreachable")
    )
    use_container(channels={Channel.SMS: failing, Channel.VOICE: voice[2]})
    incident_id = activate_site_emergency(client, world, settings)
    runner.drain()
    [call] = [m for m in voice[1].messages() if m["destination"] == FAY_PHONE]
    assert call["channel"] == "voice" and call["body"].startswith("<speak>")
    [entry] = fallbacks(api, incident_id)
    assert entry["summary"] == "sms to c-fay failed: InvalidParameter; falling back to voice"
    assert "fay@example.com" not in [address for address, _ in sent_email(world)]


def test_an_opted_out_number_falls_back_along_the_whole_chain(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    voice: tuple[MessagingStandIn, Outbox, EumVoiceChannel],
) -> None:
    failing = sms_failing_for_fay(world, PermanentSendError("OptedOut", "the number opted out"))
    use_container(channels={Channel.SMS: failing, Channel.VOICE: voice[2]})
    voice[0].opt_out(FAY_PHONE)
    incident_id = activate_site_emergency(client, world, settings)
    runner.drain()
    assert [e["data"]["to"] for e in fallbacks(api, incident_id)] == ["voice", "email"]
    assert "fay@example.com" in [address for address, _ in sent_email(world)]


def test_a_channel_that_is_not_configured_is_skipped_in_the_chain(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    failing = sms_failing_for_fay(world, PermanentSendError("InvalidParameter", "unreachable"))
    use_container(channels={Channel.SMS: failing})  # and no voice channel
    incident_id = activate_site_emergency(client, world, settings)
    runner.drain()
    summaries = [entry["summary"] for entry in fallbacks(api, incident_id)]
    assert summaries[1] == "voice to c-fay voice not configured; falling back to email"
    assert "fay@example.com" in [address for address, _ in sent_email(world)]
