"""SMS and email adapters against moto, and AWS errors mapped without leaking the destination."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.channels.ses_email import SesEmailChannel
from chalicelib.channels.sns_sms import SnsSmsChannel
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import Message
from chalicelib.settings import Settings
from tests.e2e.conftest import sent_email, sent_sms


def test_sns_sms_is_published_to_the_number(world: boto3.Session) -> None:
    receipt = SnsSmsChannel(world.client("sns")).send(
        "+12025550101", Message("TOCSIN CRITICAL: test"), "inc_1"
    )
    assert receipt.message_id
    assert sent_sms(world) == [("+12025550101", "TOCSIN CRITICAL: test")]


def test_sns_refusal_is_permanent_and_names_no_number(world: boto3.Session) -> None:
    with pytest.raises(PermanentSendError) as caught:
        SnsSmsChannel(world.client("sns")).send("+1202555010", Message("x" * 1700), "inc_1")
    assert "202555" not in str(caught.value)


@pytest.mark.parametrize("code", ["Throttling", "ThrottledException", "InternalError"])
def test_sns_throttling_and_outages_are_transient(code: str) -> None:
    client = boto3.client("sns", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error(
            "publish", service_error_code=code, service_message="Rate exceeded for +12025550101"
        )
        with pytest.raises(TransientSendError) as caught:
            SnsSmsChannel(client).send("+12025550101", Message("hi"), "inc_1")
    assert caught.value.code == code
    assert "+1202" not in str(caught.value)


def test_ses_email_is_sent_from_the_verified_sender(
    world: boto3.Session, settings: Settings
) -> None:
    channel = SesEmailChannel(world.client("sesv2"), settings.sender_email)
    receipt = channel.send("ada@example.com", Message("body", subject="Subject"), "inc_1")
    assert receipt.message_id
    assert sent_email(world) == [("ada@example.com", "Subject")]


def test_an_unverified_sender_is_a_permanent_error(world: boto3.Session) -> None:
    channel = SesEmailChannel(world.client("sesv2"), "nobody@unverified.example.com")
    with pytest.raises(PermanentSendError) as caught:
        channel.send("ada@example.com", Message("b", subject="s"), "inc_1")
    assert caught.value.code == "MessageRejected"
    assert "ada@example.com" not in str(caught.value)
