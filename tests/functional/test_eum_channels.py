"""The End User Messaging adapters against the stand-in: shapes, voices and error mapping."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.channels.eum import EumSmsChannel, EumVoiceChannel, voice_for
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import Message
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox


@pytest.fixture
def standin() -> tuple[Any, MessagingStandIn, Outbox]:
    outbox = Outbox()
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    fake = MessagingStandIn(outbox)
    install_in_process(client, fake)
    return client, fake, outbox


def test_sms_goes_out_with_its_incident_in_the_context(
    standin: tuple[Any, MessagingStandIn, Outbox],
) -> None:
    client, _, outbox = standin
    sms = EumSmsChannel(client, "+12025550199", "tocsin-sms")
    receipt = sms.send("+12025550101", Message(body="TOCSIN CRITICAL: x"), "inc_1")
    [sent] = outbox.messages()
    assert (sent["message_id"], sent["incident_id"], sent["channel"]) == (
        receipt.message_id,
        "inc_1",
        "sms",
    )


def test_voice_reads_ssml_in_the_persons_language(
    standin: tuple[Any, MessagingStandIn, Outbox],
) -> None:
    client, _, outbox = standin
    voice = EumVoiceChannel(client, "+12025550199")
    voice.send("+12025550104", Message(body="<speak>Hei</speak>", language="nb"), "inc_1")
    assert outbox.messages()[0]["channel"] == "voice"
    assert (voice_for("nb"), voice_for("da-DK"), voice_for("zh-Hant-TW"), voice_for("xx")) == (
        "LIV",
        "NAJA",
        "ZHIYU",
        "JOANNA",
    )


def test_an_opted_out_number_is_permanent_and_throttling_is_transient(
    standin: tuple[Any, MessagingStandIn, Outbox],
) -> None:
    client, fake, outbox = standin
    sms = EumSmsChannel(client, None)
    fake.opt_out("+12025550101")
    with pytest.raises(PermanentSendError) as opted_out:
        sms.send("+12025550101", Message(body="x"), "inc_1")
    assert opted_out.value.code == "ConflictException"
    assert "+12025550101" not in str(opted_out.value)
    fake.throttle_next(1)  # botocore's own retry absorbs a single throttle
    sms.send("+12025550102", Message(body="x"), "inc_1")
    fake.throttle_next(20)  # beyond botocore's attempts, it reaches Tocsin as transient
    with pytest.raises(TransientSendError) as throttled:
        sms.send("+12025550102", Message(body="x"), "inc_1")
    assert throttled.value.code == "ThrottlingException"
    fake.throttle_next(0)
    sms.send("+12025550102", Message(body="x"), "inc_1")
    assert len(outbox.messages()) == 2


def test_voice_without_ssml_markup_is_refused_like_aws(
    standin: tuple[Any, MessagingStandIn, Outbox],
) -> None:
    client, _, _ = standin
    with pytest.raises(PermanentSendError):
        EumVoiceChannel(client, "+12025550199").send("+12025550101", Message(body="plain"), "inc_1")
