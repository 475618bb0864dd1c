"""``tocsin smoke`` against the app through the Chalice test client, on moto.

What a deployed stage does between two polls (Lambda draining the queues, SES publishing a
delivery event) is done by the waiting itself: each pause drains the local runner's queues and,
as SES would, reports every email handed to it as delivered.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from chalice.test import Client

from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY
from tocsin_cli import smoke
from tocsin_cli.main import parser
from tocsin_cli.stage import Target

CANARY = "c-chen"  # it-security: the example path-test plan emails that role


class ChaliceApi:
    """The smoke test's HTTP calls, answered by the app in-process."""

    def __init__(self, client: Client, key: str = LOCAL_KEY) -> None:
        self.client = client
        self.key = key
        self.calls: list[str] = []

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.calls.append(f"{method} {path}")
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if method == "POST":
            response = self.client.http.post(path, headers=headers, body=json.dumps(body))
        else:
            response = self.client.http.get(path, headers=headers)
        return response.status_code, response.json_body


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def aws_between_polls(
    client: Client, world: boto3.Session, runner: QueueRunner, clock: Clock, deliver: bool
) -> Callable[[float], None]:
    """Time passes; Lambda drains the queues; SES reports each email it took as delivered."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    reported: set[str] = set()

    def pause(seconds: float) -> None:
        clock.now += seconds
        runner.drain()
        if not deliver:
            return
        for message in ses_backends[DEFAULT_ACCOUNT_ID][world.region_name].sent_messages:
            if message.id not in reported:
                reported.add(message.id)
                delivery = {"eventType": "Delivery", "mail": {"messageId": message.id}}
                event = client.events.generate_sns_event(message=json.dumps(delivery))
                client.lambda_.invoke("track_deliveries", event)

    return pause


def account_stand_in(session: boto3.Session) -> None:
    """End User Messaging's account calls, which moto does not serve, answered as AWS does."""
    answers = {
        "PinpointSMSVoiceV2.DescribeSpendLimits": {
            "SpendLimits": [
                {
                    "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                    "EnforcedLimit": 50,
                    "MaxLimit": 100,
                    "Overridden": True,
                },
                {
                    "Name": "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT",
                    "EnforcedLimit": 1,
                    "MaxLimit": 1,
                    "Overridden": False,
                },
            ]
        },
        "PinpointSMSVoiceV2.DescribeProtectConfigurations": {"ProtectConfigurations": []},
    }

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if target not in answers:
            return None
        body = json.dumps(answers[target]).encode()
        return AWSResponse(request.url, 200, HTTPHeaders(), Raw(body))

    session.events.register_first("before-send.pinpoint-sms-voice-v2", before_send)


def run(
    client: Client,
    world: boto3.Session,
    runner: QueueRunner,
    *argv: str,
    deliver: bool = True,
) -> tuple[int, str, ChaliceApi]:
    out = io.StringIO()
    clock = Clock()
    api = ChaliceApi(client)
    arguments = parser().parse_args(["--stage", "local", "smoke", *argv])
    code = smoke.command(
        arguments,
        out,
        Target(),
        world.client,
        api=api,
        sleep=aws_between_polls(client, world, runner, clock, deliver),
        clock=clock,
    )
    return code, out.getvalue(), api


def test_a_test_event_reaches_the_canary_and_the_account_settings_are_reported(
    client: Client, world: boto3.Session, runner: QueueRunner
) -> None:
    account_stand_in(world)
    world.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "100"})
    code, out, api = run(client, world, runner, "--canary", CANARY)
    assert code == 0, out
    steps = [line.split(" s  ", 1)[1][:24].strip() for line in out.splitlines() if " s  " in line]
    assert steps == ["accepted", "incident opened", "message handed to AWS", "delivered"]
    assert f"delivered                email to {CANARY}" in out
    assert "smoke test passed: incident inc_" in out
    assert api.calls[0] == "POST /v1/events"
    assert (
        "End User Messaging TEXT_MESSAGE_MONTHLY_SPEND_LIMIT: 50 USD a month "
        "(account maximum 100 USD)"
    ) in out
    assert "End User Messaging VOICE_MESSAGE_MONTHLY_SPEND_LIMIT: 1 USD a month" in out
    assert "default protect configuration: none (every country allowed)" in out
    assert "SNS SMS MonthlySpendLimit: 100" in out
    assert "SNS SMS DeliveryStatusIAMRole: not set (SMS through SNS reports no" in out
    assert LOCAL_KEY not in out


def test_no_receipt_in_time_fails_and_still_reports_the_account(
    client: Client, world: boto3.Session, runner: QueueRunner
) -> None:
    code, out, _ = run(client, world, runner, "--canary", CANARY, "--timeout", "20", deliver=False)
    assert code == 1
    assert "message handed to AWS" in out
    assert "smoke test FAILED: no delivery receipt within 20 s" in out
    assert "End User Messaging settings: unavailable" in out  # moto does not serve them


def test_an_event_no_rule_takes_fails_at_the_decision(
    client: Client, world: boto3.Session, runner: QueueRunner
) -> None:
    code, out, _ = run(client, world, runner, "--type", "nothing.matches", "--timeout", "20")
    assert code == 1
    assert "smoke test FAILED: the event opened no incident" in out
    assert "does a rule match type nothing.matches with status test?" in out


def test_a_wrong_key_fails_at_once(
    client: Client, world: boto3.Session, runner: QueueRunner
) -> None:
    out = io.StringIO()
    arguments = parser().parse_args(["--stage", "local", "smoke"])
    api = ChaliceApi(client, key="not-a-key")
    assert smoke.command(arguments, out, Target(), world.client, api, sleep=lambda _: None) == 1
    assert "POST /v1/events answered 401" in out.getvalue()


def test_a_deployed_stage_needs_a_key_and_reads_its_address_from_ssm(world: boto3.Session) -> None:
    out = io.StringIO()
    arguments = parser().parse_args(["--stage", "prod", "smoke"])
    prod = Target.chosen("prod", None, None, None, environ={})
    assert smoke.command(arguments, out, prod, world.client) == 2
    assert "give an API key" in out.getvalue()
    world.client("ssm").put_parameter(
        Name="/tocsin-prod/public-url", Value="https://api.example.com/api", Type="String"
    )
    assert smoke.api_url(prod, world.client) == "https://api.example.com/api"
    given = Target.chosen("prod", None, None, "https://tocsin.example.com", environ={})
    assert smoke.api_url(given, world.client) == "https://tocsin.example.com"


def test_the_key_goes_only_to_https_or_this_machine() -> None:
    for url in ("http://api.example.com/api", "ftp://example.com"):
        with pytest.raises(ValueError, match="refusing to send the API key"):
            smoke.HttpApi(url, "k")
    smoke.HttpApi("https://abc123.execute-api.eu-west-1.amazonaws.com/api", "k")
    smoke.HttpApi("http://127.0.0.1:8000", "k")
