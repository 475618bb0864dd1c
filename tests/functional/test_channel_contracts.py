"""Every channel adapter, against its stand-in, and the in-memory fakes, meet the same contract:

- an accepted message returns AWS's message id, and the stand-in's outbox has it, with the
  incident it belongs to;
- a destination AWS refuses for good raises PermanentSendError, naming no personal data;
- nothing is recorded for a refused send.

The End User Messaging and push stand-ins are the ones the local stack serves; SNS and SES are
moto's, whose records keep the message id (the incident is read from the request as sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from chalicelib.channels.eum import EumSmsChannel, EumVoiceChannel
from chalicelib.channels.push import PinpointPushChannel
from chalicelib.channels.ses_email import INCIDENT_TAG, SesEmailChannel
from chalicelib.channels.sns_sms import INCIDENT_ATTRIBUTE, SnsSmsChannel
from chalicelib.channels.sns_topic import SnsTopicChannel
from chalicelib.core.errors import PermanentSendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Message
from chalicelib.settings import Settings
from fakes import RecordingBatchChannel, RecordingChannel
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox

Recorded = tuple[str, str | None]  # (message id, incident id)


@dataclass
class Harness:
    sender: ChannelSender
    outbox: Callable[[], list[Recorded]]
    refusing: ChannelSender | None = None  # sends the refused message (default: ``sender``)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[pytest.FixtureRequest], Harness]
    good: str
    refused: str
    message: Message = field(default_factory=lambda: Message("TOCSIN CRITICAL: x", "[Tocsin] x"))


def _standin(service: str, make: Callable[[Any], ChannelSender], opt_out: str = "") -> Any:
    def build(request: pytest.FixtureRequest) -> Harness:
        outbox = Outbox()
        standin = MessagingStandIn(outbox)
        client = boto3.client(service, region_name="us-east-1")
        install_in_process(client, standin)
        if opt_out:
            standin.opt_out(opt_out)
        return Harness(
            make(client),
            lambda: [(m["message_id"], m["incident_id"]) for m in outbox.messages()],
        )

    return build


class Wire:
    """What a client asked AWS for, by the message id AWS answered with."""

    def __init__(self, client: Any, operation: str) -> None:
        self.params: dict[str, dict[str, Any]] = {}
        client.meta.events.register(f"before-parameter-build.{operation}", self._asked)
        client.meta.events.register(f"after-call.{operation}", self._answered)

    def _asked(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["tocsin_params"] = dict(params)

    def _answered(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "MessageId" in parsed:
            self.params[parsed["MessageId"]] = context["tocsin_params"]


def _sns_backend(session: boto3.Session) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return sns_backends[DEFAULT_ACCOUNT_ID][session.region_name]


def _sns_sms(request: pytest.FixtureRequest) -> Harness:
    session: boto3.Session = request.getfixturevalue("resources")
    client = session.client("sns")
    wire = Wire(client, "sns.Publish")

    def outbox() -> list[Recorded]:
        return [
            (
                message_id,
                wire.params[message_id]["MessageAttributes"][INCIDENT_ATTRIBUTE]["StringValue"],
            )
            for message_id in _sns_backend(session).sms_messages
        ]

    return Harness(SnsSmsChannel(client), outbox)


def _sns_topic(request: pytest.FixtureRequest) -> Harness:
    session: boto3.Session = request.getfixturevalue("resources")
    settings: Settings = request.getfixturevalue("settings")
    topic = settings.stakeholders_topic_arn
    assert topic is not None
    client = session.client("sns")

    def outbox() -> list[Recorded]:
        sent = _sns_backend(session).topics[topic].sent_notifications
        return [
            (message_id, attributes[INCIDENT_ATTRIBUTE]["Value"])
            for message_id, _, _, attributes, _ in sent
        ]

    return Harness(
        SnsTopicChannel(client, topic), outbox, SnsTopicChannel(client, topic + "-missing")
    )


def _ses_email(request: pytest.FixtureRequest) -> Harness:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    session: boto3.Session = request.getfixturevalue("resources")
    settings: Settings = request.getfixturevalue("settings")
    client = session.client("sesv2")
    wire = Wire(client, "sesv2.SendEmail")

    def outbox() -> list[Recorded]:
        sent = ses_backends[DEFAULT_ACCOUNT_ID][session.region_name].sent_messages
        return [(m.id, _tag(wire.params[m.id], INCIDENT_TAG)) for m in sent]

    return Harness(SesEmailChannel(client, settings.sender_email), outbox)


def _tag(params: dict[str, Any], name: str) -> str | None:
    return next((tag["Value"] for tag in params["EmailTags"] if tag["Name"] == name), None)


def _fake(make: Callable[[], RecordingChannel]) -> Callable[[pytest.FixtureRequest], Harness]:
    def build(request: pytest.FixtureRequest) -> Harness:
        channel = make()
        return Harness(channel, lambda: [(s.message_id, s.incident_id) for s in channel.sent])

    return build


CASES = [
    Case(
        "eum-sms",
        _standin(
            "pinpoint-sms-voice-v2",
            lambda client: EumSmsChannel(client, "+12025550199", "tocsin"),
            opt_out="+12025550102",
        ),
        "+12025550101",
        "+12025550102",
        Message(body="TOCSIN CRITICAL: x (ref ABC123)"),
    ),
    Case(
        "eum-voice",
        _standin(
            "pinpoint-sms-voice-v2",
            lambda client: EumVoiceChannel(client, "+12025550199"),
            opt_out="+12025550102",
        ),
        "+12025550101",
        "+12025550102",
        Message(body="<speak>Tocsin alert</speak>", language="da"),
    ),
    Case(
        "push",
        _standin("pinpoint", lambda client: PinpointPushChannel(client, "app-123")),
        "fcm:goodtoken12345;apns:goodtoken67890",
        "fcm:badtoken123456",
        Message(subject="[Tocsin CRITICAL] x", body="TOCSIN CRITICAL: x"),
    ),
    Case("sns-sms", _sns_sms, "+12025550101", "+1-202-555-0102"),
    Case("ses-email", _ses_email, "ada@example.com", "ada-at-nowhere"),
    Case("sns-topic", _sns_topic, "@stakeholders", "@stakeholders"),
    Case(
        "fake-sms",
        _fake(lambda: RecordingChannel(Channel.SMS, refused={"+12025550102"})),
        "+12025550101",
        "+12025550102",
    ),
    Case(
        "fake-push",
        _fake(lambda: RecordingBatchChannel(Channel.PUSH, refused={"fcm:badtoken123456"})),
        "fcm:goodtoken12345",
        "fcm:badtoken123456",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_channel_contract(case: Case, request: pytest.FixtureRequest) -> None:
    harness = case.build(request)

    receipt = harness.sender.send(case.good, case.message, "inc_contract")
    recorded = harness.outbox()
    assert receipt.message_id in {message_id for message_id, _ in recorded}
    assert {incident_id for _, incident_id in recorded} == {"inc_contract"}

    with pytest.raises(PermanentSendError) as refused:
        (harness.refusing or harness.sender).send(case.refused, case.message, "inc_contract")
    assert case.refused.split(":")[-1] not in str(refused.value)
    assert len(harness.outbox()) == len(recorded)


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
