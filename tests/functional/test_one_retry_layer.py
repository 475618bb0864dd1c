"""One retry layer for sending: the channels' clients make one attempt a call, and the pacer
(``core/messaging/pacing.py``) owns the retries, so every attempt passes its token bucket.

The stand-in is AWS throttling every send, answered by a botocore ``before-send`` handler in each
service's own protocol (nothing leaves the machine, no moto): it counts the calls that reach the
wire, botocore's own retries included. Before, standard mode's retries under the pacer's five
attempts made 20 calls for one throttled message.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from chalicelib.core.errors import TransientSendError
from chalicelib.core.messaging.pacing import RetryBudget
from chalicelib.core.model import Channel, Message
from chalicelib.settings import Settings
from chalicelib.wiring import SENDING_SERVICES, Container

PACER_ATTEMPTS = RetryBudget().attempts
DESTINATIONS = {
    Channel.SMS: "+12025550101",
    Channel.EMAIL: "ada@example.com",
    Channel.VOICE: "+12025550101",
    Channel.PUSH: "fcm:token0001xyzxyz",
    Channel.BROADCAST: "stakeholders",
}
# How each service says "slow down", in its own protocol.
THROTTLED = {
    "sns": (
        400,
        "text/xml",
        None,
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling"
        b"</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId>"
        b"</ErrorResponse>",
    ),
    "sesv2": (429, "application/json", "TooManyRequestsException", b'{"message": "slow down"}'),
    "pinpoint": (429, "application/json", "TooManyRequestsException", b'{"Message": "slow"}'),
    "pinpoint-sms-voice-v2": (
        400,
        "application/x-amz-json-1.0",
        None,
        json.dumps({"__type": "ThrottlingException", "Message": "slow down"}).encode(),
    ),
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def throttling_aws(session: boto3.Session) -> Counter[str]:
    """Every send to every sending service is throttled; returns the calls, by service."""
    calls: Counter[str] = Counter()

    def throttle(service: str) -> Any:
        status, content_type, error_type, body = THROTTLED[service]

        def answer(request: Any, **_: Any) -> AWSResponse:
            calls[service] += 1
            headers = HTTPHeaders()
            headers["Content-Type"] = content_type
            if error_type:
                headers["x-amzn-ErrorType"] = error_type
            return AWSResponse(request.url, status, headers, _Raw(body))

        return answer

    for service in SENDING_SERVICES:
        session.events.register_first(f"before-send.{service}", throttle(service))
    return calls


def every_channel(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        voice_origination_identity="+12025550199",
        push_application_id="0123456789abcdef0123456789abcdef",
    )


@pytest.mark.parametrize("channel", list(DESTINATIONS), ids=lambda channel: channel.value)
def test_a_throttled_send_is_tried_only_by_the_pacer(settings: Settings, channel: Channel) -> None:
    session = boto3.Session(region_name="us-east-1")
    calls = throttling_aws(session)
    services = Container(every_channel(settings), session)
    with pytest.raises(TransientSendError):
        services.senders[channel].send(DESTINATIONS[channel], Message("x", "y"), "inc_1")
    assert sum(calls.values()) == PACER_ATTEMPTS, calls


def test_sms_through_end_user_messaging_is_tried_only_by_the_pacer_too(settings: Settings) -> None:
    session = boto3.Session(region_name="us-east-1")
    calls = throttling_aws(session)
    eum = dataclasses.replace(every_channel(settings), sms_provider="eum")
    with pytest.raises(TransientSendError):
        Container(eum, session).senders[Channel.SMS].send("+12025550101", Message("x"), "inc_1")
    assert calls == {"pinpoint-sms-voice-v2": PACER_ATTEMPTS}


def test_other_clients_keep_botocores_retries(settings: Settings) -> None:
    """Reads and writes of state still ride out a blip in the SDK (the queue retries the rest)."""
    services = Container(settings, boto3.Session(region_name="us-east-1"))
    retries = services.client("sns").meta.config.retries
    sending = services.sending_client("sns").meta.config.retries
    assert (retries["mode"], sending["mode"]) == ("standard", "standard")
    assert sending["total_max_attempts"] == 1
    assert retries.get("total_max_attempts", retries.get("max_attempts", 0) + 1) > 1
