"""Every channel adapter, against its stand-in, meets the same contract:

- an accepted message returns AWS's message id, and the stand-in's outbox has it, with the
  incident it belongs to;
- a destination AWS refuses for good raises PermanentSendError, naming no personal data;
- nothing is recorded for a refused send.

The stand-ins are the ones the local stack serves, so the contract holds there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib.channels.eum import EumSmsChannel, EumVoiceChannel
from chalicelib.channels.push import PinpointPushChannel
from chalicelib.core.errors import PermanentSendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Message
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox


@dataclass(frozen=True)
class Case:
    name: str
    service: str
    make: Callable[[Any], ChannelSender]
    good: str
    refused: str
    message: Message
    prepare: Callable[[MessagingStandIn], None] = lambda standin: None


CASES = [
    Case(
        "eum-sms",
        "pinpoint-sms-voice-v2",
        lambda client: EumSmsChannel(client, "+12025550199", "tocsin"),
        "+12025550101",
        "+12025550102",
        Message(body="TOCSIN CRITICAL: x (ref ABC123)"),
        lambda standin: standin.opt_out("+12025550102"),
    ),
    Case(
        "eum-voice",
        "pinpoint-sms-voice-v2",
        lambda client: EumVoiceChannel(client, "+12025550199"),
        "+12025550101",
        "+12025550102",
        Message(body="<speak>Tocsin alert</speak>", language="da"),
        lambda standin: standin.opt_out("+12025550102"),
    ),
    Case(
        "push",
        "pinpoint",
        lambda client: PinpointPushChannel(client, "app-123"),
        "fcm:goodtoken12345;apns:goodtoken67890",
        "fcm:badtoken123456",
        Message(subject="[Tocsin CRITICAL] x", body="TOCSIN CRITICAL: x"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_channel_contract(case: Case) -> None:
    outbox = Outbox()
    standin = MessagingStandIn(outbox)
    client = boto3.client(case.service, region_name="us-east-1")
    install_in_process(client, standin)
    case.prepare(standin)
    sender = case.make(client)

    receipt = sender.send(case.good, case.message, "inc_contract")
    recorded = outbox.messages()
    assert receipt.message_id in {message["message_id"] for message in recorded}
    assert {message["incident_id"] for message in recorded} == {"inc_contract"}

    with pytest.raises(PermanentSendError) as refused:
        sender.send(case.refused, case.message, "inc_contract")
    assert case.refused.split(":")[-1] not in str(refused.value)
    assert len(outbox.messages()) == len(recorded)


def test_push_reaches_every_device_of_the_person_in_one_call() -> None:
    outbox = Outbox()
    client = boto3.client("pinpoint", region_name="us-east-1")
    install_in_process(client, MessagingStandIn(outbox))
    PinpointPushChannel(client, "app-123").send(
        "apns:goodtoken000001;fcm:goodtoken000002;fcm:badtoken0000003",
        Message(subject="s", body="b"),
        "inc_1",
    )
    assert sorted(message["destination"][:5] for message in outbox.messages()) == [
        "APNS:",
        "GCM:g",
    ]
