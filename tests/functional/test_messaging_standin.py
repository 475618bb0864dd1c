"""The End User Messaging stand-in answers a real boto3 client with AWS's shapes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox


@pytest.fixture
def sms_voice() -> tuple[Any, Outbox]:
    outbox = Outbox()
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    install_in_process(client, MessagingStandIn(outbox))
    return client, outbox


def test_send_text_message_is_recorded_with_its_context(sms_voice: tuple[Any, Outbox]) -> None:
    client, outbox = sms_voice
    response = client.send_text_message(
        DestinationPhoneNumber="+12025550101",
        MessageBody="hello",
        Context={"incident_id": "inc_1"},
    )
    assert response["MessageId"]
    [message] = outbox.messages()
    assert (message["channel"], message["destination"], message["incident_id"]) == (
        "sms",
        "+12025550101",
        "inc_1",
    )


def test_an_invalid_number_is_a_validation_exception(sms_voice: tuple[Any, Outbox]) -> None:
    client, outbox = sms_voice
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.send_text_message(DestinationPhoneNumber="12345", MessageBody="x")
    assert caught.value.response["Reason"] == "FIELD_VALIDATION_FAILED"
    assert outbox.messages() == []


def test_a_voice_message_needs_an_origination_identity(sms_voice: tuple[Any, Outbox]) -> None:
    client, _ = sms_voice
    # boto3 checks this before sending; a raw HTTP caller gets AWS's answer from the stand-in
    answer = MessagingStandIn(Outbox()).handle(
        "PinpointSMSVoiceV2.SendVoiceMessage",
        b'{"DestinationPhoneNumber": "+12025550101", "MessageBody": "x"}',
    )
    assert (answer.status, answer.body["__type"]) == (400, "ValidationException")
    response = client.send_voice_message(
        DestinationPhoneNumber="+12025550101",
        OriginationIdentity="+12025550199",
        MessageBody="<speak>hello</speak>",
        MessageBodyTextType="SSML",
    )
    assert response["MessageId"]
