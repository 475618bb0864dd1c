"""``tocsin smoke``: the last step of a deployment, proving the stage works end to end.

It posts a ``status: test`` event through the stage's API, follows it (accepted, decided,
incident opened, message handed to AWS, delivery receipt for the canary contact), prints the
time of each step, then the account-wide settings no stack can hold (End User Messaging spend
limits and default protect configuration, SNS's SMS attributes). Exit 0 when the canary's
message was delivered in time, 1 when a step failed or timed out, 2 when it could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.settings import DEFAULT_LOCAL_API_KEY
from tocsin_cli.cli import Cli
from tocsin_cli.stage import Target

Clients = Callable[[str], Any]  # an AWS client per service name (the container's)

KEY_VARIABLE = "TOCSIN_API_KEY"  # holds the key (never printed)
AWS_ERRORS = (BotoCoreError, ClientError)
SMS_ATTRIBUTES = [
    "MonthlySpendLimit",
    "DeliveryStatusIAMRole",
    "DeliveryStatusSuccessSamplingRate",
    "DefaultSMSType",
]


class Api(Protocol):
    """The one call the smoke test needs: a JSON request to the stage's API."""

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]: ...


class HttpApi:
    def __init__(self, base_url: str, key: str, timeout: float = 15) -> None:
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError(f"refusing to send the API key to {base_url}")
        self._base = base_url.rstrip("/")
        self._key = key
        self._timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self._base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, _json_or_text(error.read())


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:300]


class SmokeFailed(Exception):
    pass


@dataclass
class Smoke:
    api: Api
    out: TextIO
    canary: str | None
    timeout: float
    poll_seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def run(self, event_type: str) -> str:
        """The incident the test opened; raises SmokeFailed at the first step that fails."""
        self._started = self.clock()
        dedup_key = f"tocsin-smoke-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        status, answer = self.api.request(
            "POST",
            "/v1/events",
            {
                "source": "tocsin-smoke",
                "type": event_type,
                "severity": "info",
                "status": "test",
                "summary": "Tocsin smoke test after a deployment: no action needed",
                "dedup_key": dedup_key,
            },
        )
        if status != 202:
            raise SmokeFailed(f"POST /v1/events answered {status}: {answer}")
        event_id = answer["event_id"]
        self._step("accepted", event_id)
        decided = self._until("decided", lambda: self._decided(event_id))
        incident_id = decided.get("incident_id")
        if not incident_id:
            raise SmokeFailed(
                f"the event opened no incident: {decided.get('status')} "
                f"({decided.get('code')}: {decided.get('reason')}); does a rule match "
                f"type {event_type} with status test?"
            )
        self._step("incident opened", incident_id)
        sent = self._until("message handed to AWS", lambda: self._entry(incident_id, "sent"))
        self._step("message handed to AWS", f"{sent['channel']} to {sent['contact_id']}")
        receipt = self._until(
            "delivery receipt", lambda: self._entry(incident_id, "delivery", sent)
        )
        if receipt["status"] != "delivered":
            raise SmokeFailed(f"{receipt['channel']} to {receipt['contact_id']}: {receipt}")
        self._step("delivered", f"{receipt['channel']} to {receipt['contact_id']}")
        return str(incident_id)

    def _step(self, name: str, detail: str) -> None:
        print(f"{self.clock() - self._started:7.1f} s  {name:<24} {detail}", file=self.out)

    def _until(self, what: str, probe: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        while True:
            found = probe()
            if found is not None:
                return found
            if self.clock() - self._started >= self.timeout:
                raise SmokeFailed(f"no {what} within {self.timeout:.0f} s")
            self.sleep(self.poll_seconds)

    def _decided(self, event_id: str) -> dict[str, Any] | None:
        status, answer = self.api.request("GET", f"/v1/events/{event_id}")
        if status != 200:
            raise SmokeFailed(f"GET /v1/events/{event_id} answered {status}: {answer}")
        return None if answer["status"] == "pending" else dict(answer)

    def _entry(
        self, incident_id: str, kind: str, sent: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        status, answer = self.api.request("GET", f"/v1/incidents/{incident_id}")
        if status != 200:
            raise SmokeFailed(f"GET /v1/incidents/{incident_id} answered {status}: {answer}")
        for entry in answer["timeline"]:
            data = entry.get("data") or {}
            if self.canary and data.get("contact_id") != self.canary:
                continue
            if kind == "sent" and entry["kind"] == "notification_sent":
                return dict(data)
            if (
                kind == "delivery"
                and sent is not None
                and entry["kind"].startswith("delivery_")
                and (data.get("contact_id"), data.get("channel"))
                == (sent["contact_id"], sent["channel"])
                and data.get("status") != "delayed"
            ):
                return dict(data)
        return None


def account_settings(clients: Clients) -> list[str]:
    """The account-wide settings a deployment depends on, one line each (never fails)."""
    lines = []
    try:
        eum = clients("pinpoint-sms-voice-v2")
        for limit in eum.describe_spend_limits()["SpendLimits"]:
            enforced = limit["EnforcedLimit"] if limit.get("Overridden") else limit["MaxLimit"]
            lines.append(
                f"End User Messaging {limit['Name']}: {enforced} USD a month "
                f"(account maximum {limit['MaxLimit']} USD)"
            )
        found = eum.describe_protect_configurations(
            Filters=[{"Name": "account-default", "Values": ["true"]}]
        )["ProtectConfigurations"]
        lines.append(
            "End User Messaging default protect configuration: "
            + (found[0]["ProtectConfigurationId"] if found else "none (every country allowed)")
        )
    except AWS_ERRORS as error:  # a report, whatever the account lets us read
        lines.append(f"End User Messaging settings: unavailable ({_reason(error)})")
    try:
        sns = clients("sns")
        attributes = sns.get_sms_attributes(attributes=SMS_ATTRIBUTES)["attributes"]
        for name in SMS_ATTRIBUTES:
            value = attributes.get(name) or "not set"
            if name == "DeliveryStatusIAMRole" and value == "not set":
                value += " (SMS through SNS reports no delivery status: docs/DEPLOY.md)"
            lines.append(f"SNS SMS {name}: {value}")
    except AWS_ERRORS as error:
        lines.append(f"SNS SMS settings: unavailable ({_reason(error)})")
    return lines


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    smoke = commands.add_parser(
        "smoke",
        help="post a test event to a deployed stage and wait for its delivery receipt",
        parents=[common],
    )
    smoke.add_argument("--canary", help="the contact whose delivery receipt counts (default: any)")
    smoke.add_argument(
        "--key", help=f"API key with trigger and read scopes (default: ${KEY_VARIABLE})"
    )
    smoke.add_argument("--type", dest="event_type", default="tocsin.path_test")
    smoke.add_argument("--timeout", type=float, default=300, help="seconds (default 300)")
    smoke.set_defaults(run=run)


def run(arguments: argparse.Namespace, cli: Cli) -> int:
    """The API is --api (TOCSIN_API), or for a deployed stage the address its stack wrote."""
    return command(arguments, cli.out, cli.target, clients=cli.services.client)


def api_url(target: Target, clients: Clients) -> str:
    """Where the stage's API answers: --api, else the address the stack wrote for links."""
    if target.api:
        return target.api
    ssm = clients("ssm")
    name = f"/tocsin-{target.stage}/public-url"
    return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])


def command(
    arguments: argparse.Namespace,
    out: TextIO,
    target: Target,
    clients: Clients,
    api: Api | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    stage = target.stage
    if api is None:
        key = arguments.key or os.environ.get(KEY_VARIABLE)
        if not key and stage == "local":
            key = DEFAULT_LOCAL_API_KEY
        if not key:
            print(f"tocsin: give an API key: --key or ${KEY_VARIABLE}", file=out)
            return 2
        url = api_url(target, clients)
        print(f"stage {stage}: {url}", file=out)
        api = HttpApi(url, key)
    smoke = Smoke(api, out, arguments.canary, arguments.timeout, sleep=sleep, clock=clock)
    try:
        incident_id = smoke.run(arguments.event_type)
        result = 0
        print(f"smoke test passed: incident {incident_id}", file=out)
    except SmokeFailed as failure:
        print(f"smoke test FAILED: {failure}", file=out)
        result = 1
    print("account settings:", file=out)
    for line in account_settings(clients):
        print(f"  {line}", file=out)
    return result
