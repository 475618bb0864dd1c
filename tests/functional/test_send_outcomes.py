"""A channel call that failed before AWS had the message is a plain transient error; one whose
answer was lost after the request went out is ``SendOutcomeUnknown`` (AWS may have accepted it),
which the dispatcher retries saying it may arrive twice."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from chalicelib.channels.sns_sms import SnsSmsChannel
from chalicelib.core.errors import SendOutcomeUnknown, TransientSendError
from chalicelib.core.model import Message

URL = "https://sns.us-east-1.amazonaws.com/"


def sms_channel_failing_with(error: Exception) -> SnsSmsChannel:
    """SNS whose every call fails on the wire with ``error`` (nothing leaves the machine)."""
    session = boto3.Session(region_name="us-east-1")

    def fail(**_: Any) -> None:
        raise error

    session.events.register_first("before-send.sns.Publish", fail)
    client = session.client("sns", config=Config(retries={"total_max_attempts": 1}))
    return SnsSmsChannel(client)


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url=URL),
        ConnectionClosedError(endpoint_url=URL),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_answer_lost_after_the_request_went_out_is_an_unknown_outcome(error: Exception) -> None:
    with pytest.raises(SendOutcomeUnknown) as raised:
        sms_channel_failing_with(error).send("+12025550101", Message("x"), "inc_1")
    assert raised.value.code == type(error).__name__
    assert "+1202" not in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [EndpointConnectionError(endpoint_url=URL), ConnectTimeoutError(endpoint_url=URL)],
    ids=lambda error: type(error).__name__,
)
def test_a_request_that_never_reached_aws_is_a_plain_transient_error(error: Exception) -> None:
    with pytest.raises(TransientSendError) as raised:
        sms_channel_failing_with(error).send("+12025550101", Message("x"), "inc_1")
    assert not isinstance(raised.value, SendOutcomeUnknown)
