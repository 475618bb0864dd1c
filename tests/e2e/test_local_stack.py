"""Through the running local stack, over HTTP, as `make run` serves it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack, free_port
from tests.conftest import LOCAL_KEY, PROJECT

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def call(method: str, url: str, body: bytes | None = None, key: str = LOCAL_KEY) -> Any:
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def test_a_crisis_posted_over_http_reaches_people_and_shows_in_the_outbox(
    stack: LocalStack,
) -> None:
    status, accepted = call(
        "POST",
        f"{stack.api_url}/v1/events",
        (PROJECT / "examples" / "events" / "demo.json").read_bytes(),
    )
    assert status == 202
    deadline = time.monotonic() + 30
    incident_id = None

    def crisis(outbox: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [message for message in outbox if message["incident_id"] == incident_id]

    while time.monotonic() < deadline:
        _, event = call("GET", f"{stack.api_url}/v1/events/{accepted['event_id']}")
        incident_id = event["incident_id"]
        if incident_id and len(crisis(stack.outbox())) >= 11:
            break
        time.sleep(0.2)
    everything = stack.outbox()
    outbox = crisis(everything)
    # Besides the crisis, only the hourly canary round (the first a minute after the start).
    canary = {"+12025550110", "canary@example.com"}
    assert {m["destination"] for m in everything if m not in outbox} <= canary
    assert sorted({message["channel"] for message in outbox}) == ["email", "sms"]
    assert len(outbox) == 11  # to the crisis cell; its statements wait for two approvals
    _, incident = call("GET", f"{stack.api_url}/v1/incidents/{incident_id}")
    sent = {
        entry["data"]["message_id"]
        for entry in incident["timeline"]
        if entry["kind"] == "notification_sent"
    }
    assert sent == {message["message_id"] for message in outbox}


def test_the_stack_refuses_a_wrong_key_over_http(stack: LocalStack) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        call("POST", f"{stack.api_url}/v1/events", b"{}", key="wrong")
    with caught.value as refused:
        assert refused.code == 401
        assert json.load(refused)["error"]["code"] == "unauthorized"


def test_stopping_the_stack_stops_every_process_it_started() -> None:
    stack = LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True)
    with stack:
        processes = list(stack._processes)
        assert all(process.poll() is None for process in processes)
    assert all(process.poll() is not None for process in processes)


TOCSIN = str(Path(sys.executable).with_name("tocsin"))


def tocsin(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, from a shell, with no AWS variables of its own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TOCSIN_"))}
    return subprocess.run(
        [TOCSIN, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        check=False,
    )


def wait_for(condition: Any, what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_tocsin_command_finds_a_stack_on_other_ports_by_option_or_environment(
    stack: LocalStack,
) -> None:
    by_option = tocsin("--aws-endpoint", stack.aws_url, "--api", stack.api_url, "keys", "list")
    assert by_option.returncode == 0, by_option.stderr
    assert "local-development" in by_option.stdout
    after_the_command = tocsin("keys", "list", "--aws-endpoint", stack.aws_url)
    assert after_the_command.stdout == by_option.stdout
    by_environment = tocsin("oncall", "show", "it-duty", env={"TOCSIN_AWS_ENDPOINT": stack.aws_url})
    assert "Fay Example (c-fay)" in by_environment.stdout, by_environment.stderr


def test_a_second_stack_on_a_busy_port_refuses_to_start_and_says_why(stack: LocalStack) -> None:
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "local.stack", "--aws-port", str(stack.aws_port)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
        check=False,
    )
    assert second.returncode == 1
    assert f"AWS port {stack.aws_port}" in second.stderr and "in use" in second.stderr
    assert "make run AWS_PORT=" in second.stderr
    assert time.monotonic() - started < 20  # at once: nothing was started


def test_a_text_reply_declines_the_next_level_is_called_and_a_text_acknowledges(
    stack: LocalStack,
) -> None:
    outage = {
        "source": "prometheus",
        "type": "it.outage",
        "severity": "critical",
        "summary": "Checkout service down",
        "dedup_key": "local-sms-reply-test",
    }
    _, accepted = call("POST", f"{stack.api_url}/v1/events", json.dumps(outage).encode())

    def incident_id() -> str | None:
        return call("GET", f"{stack.api_url}/v1/events/{accepted['event_id']}")[1]["incident_id"]

    incident = wait_for(incident_id, "the outage to open an incident")

    def texts(number: str) -> list[dict[str, Any]]:
        return [
            message
            for message in stack.outbox()
            if message["incident_id"] == incident
            and message["channel"] == "sms"
            and message["destination"] == number
        ]

    page = wait_for(lambda: texts("+12025550105"), "the duty officer's page")[0]
    code = re.search(r"Reply (\d{4}) ACK", page["body"])
    assert code, page["body"]

    def send_text(sender: str, body: str) -> None:
        status, _ = call(
            "POST",
            f"{stack.aws_url}/_local/sms",
            json.dumps({"from": sender, "body": body}).encode(),
        )
        assert status == 202

    send_text("+12025550105", f"{code.group(1)} NO")  # Fay can't respond: level 2 at once

    def voice_calls() -> list[dict[str, Any]]:
        return [
            m for m in stack.outbox() if m["incident_id"] == incident and m["channel"] == "voice"
        ]

    calls = wait_for(voice_calls, "level 2's voice call")
    assert calls[0]["api"] == "pinpoint-sms-voice-v2:SendVoiceMessage"
    chen = wait_for(lambda: texts("+12025550103"), "level 2's text to Chen")[0]
    # The code before ACK: the line's reference may hold four digits of its own.
    chen_code = re.search(r"(\d{4}) ACK", chen["body"].splitlines()[0])
    assert chen_code, chen["body"]
    send_text("+12025550103", f"{chen_code.group(1)} ACK")

    def acknowledged() -> bool:
        timeline = call("GET", f"{stack.api_url}/v1/incidents/{incident}")[1]["timeline"]
        return any(
            entry["kind"] == "acknowledged" and entry["data"].get("contact_id") == "c-chen"
            for entry in timeline
        )

    wait_for(acknowledged, "Chen's text to acknowledge")


def test_the_local_sms_endpoint_refuses_what_no_phone_sends(stack: LocalStack) -> None:
    for body, problem in (
        (b"not json", "not JSON"),
        (json.dumps({"from": "12345", "body": "ACK"}).encode(), "from:"),
        (json.dumps({"from": "+12025550101", "body": ""}).encode(), "body:"),
    ):
        with pytest.raises(urllib.error.HTTPError) as caught:
            call("POST", f"{stack.aws_url}/_local/sms", body)
        with caught.value as refused:
            assert refused.code == 400
            assert problem in json.load(refused)["error"]


def test_the_stand_in_reports_each_delivery_and_a_silent_channel_reports_none(
    stack: LocalStack,
) -> None:
    def open_incident(dedup_key: str) -> str:
        event = {**json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())}
        _, accepted = call(
            "POST",
            f"{stack.api_url}/v1/events",
            json.dumps({**event, "dedup_key": dedup_key}).encode(),
        )
        return str(
            wait_for(
                lambda: call("GET", f"{stack.api_url}/v1/events/{accepted['event_id']}")[1][
                    "incident_id"
                ],
                "the incident",
            )
        )

    def delivered(incident_id: str, channel: str) -> list[Any]:
        timeline = call("GET", f"{stack.api_url}/v1/incidents/{incident_id}")[1]["timeline"]
        return [
            e
            for e in timeline
            if e["kind"] == "delivery_delivered" and e["data"]["channel"] == channel
        ]

    reported = open_incident("receipts-on")
    wait_for(lambda: len(delivered(reported, "sms")) == 5, "every text's receipt")
    wait_for(lambda: len(delivered(reported, "email")) == 6, "every email's receipt")

    status, state = call(
        "PUT", f"{stack.aws_url}/_local/receipts", json.dumps({"silent": ["email"]}).encode()
    )
    assert (status, state["silent"]) == (200, ["email"])
    silent = open_incident("receipts-off")
    wait_for(lambda: len(delivered(silent, "sms")) == 5, "the texts' receipts")
    time.sleep(2)  # longer than the stand-in waits before it reports
    assert delivered(silent, "email") == []
    assert (
        call("GET", f"{stack.aws_url}/_local/receipts")[1]["withheld"] >= 6
    )  # and a canary's, if one ran
    call("PUT", f"{stack.aws_url}/_local/receipts", json.dumps({"silent": []}).encode())


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/nothing-here"), ("DELETE", "/v1/events"), ("GET", "/v1/incidents/x/y/z")],
)
@pytest.mark.parametrize("key", [LOCAL_KEY, None], ids=["with a key", "without a key"])
def test_the_stack_answers_tocsins_own_404_for_unknown_routes_and_methods(
    stack: LocalStack, method: str, path: str, key: str | None
) -> None:
    from chalicelib.api.errors import NO_ROUTE

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(f"{stack.api_url}{path}", method=method, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    with caught.value as refused:
        assert refused.code == 404
        assert refused.headers["Content-Type"] == "application/json"
        assert json.load(refused) == NO_ROUTE


def test_a_checkin_by_label_is_answered_by_a_text_and_counted(stack: LocalStack) -> None:
    where = ("--aws-endpoint", stack.aws_url, "--api", stack.api_url)
    made = tocsin(
        *where,
        "keys",
        "create",
        "ada-checkins",
        "--scope",
        "activate",
        "--scope",
        "read",
        "--contact",
        "c-ada",
    )  # starting a check-in takes a personal key
    assert made.returncode == 0, made.stderr
    found = re.search(r"api key:\s+(\S+)", made.stdout)
    assert found, made.stdout
    key = found.group(1)
    request = {
        "audience": {"labels": ["first-aider"]},  # Ada and Dina (erased by a later test)
        "responders": {"role": "facilities"},
        "deadline": "1h",
    }
    status, started = call(
        "POST", f"{stack.api_url}/v1/checkins", json.dumps(request).encode(), key
    )
    assert status == 201 and started["asked"] == 2
    view_url = f"{stack.api_url}/v1/checkins/{started['checkin_id']}"

    def asked(number: str) -> list[dict[str, Any]]:
        return [
            m
            for m in stack.outbox()
            if m["incident_id"] == started["incident_id"] and m["destination"] == number
        ]

    question = wait_for(lambda: asked("+12025550101"), "the check-in's text to Ada")[0]
    assert question["body"].startswith("TOCSIN CHECK-IN: Are you safe?")
    reply = json.dumps({"from": "+12025550101", "body": "1"}).encode()
    assert call("POST", f"{stack.aws_url}/_local/sms", reply)[0] == 202
    view = wait_for(lambda: (v := call("GET", view_url, key=key)[1])["answered"] and v, "Ada")
    assert {str(row["option"]): row["people"] for row in view["counts"]} == {
        "1": 1,
        "2": 0,
        "none": 1,
    }
    assert view["by_label"]["first-aider"] == {"1": 1, "2": 0, "none": 1}
    assert (view["non_responders"], view["unreachable"]) == (["c-dina"], [])


def test_an_erasure_on_the_local_stack_is_run_by_its_runner_and_awaited_by_the_command(
    stack: LocalStack,
) -> None:
    status, started = call("DELETE", f"{stack.api_url}/v1/contacts/c-dina")
    assert status == 202
    job = started["job_id"]
    done = wait_for(
        lambda: (
            (found := call("GET", f"{stack.api_url}/v1/erasures/{job}")[1])["status"] == "done"
            and found
        ),
        "the runner to finish the erasure job",
    )
    assert done["records_scanned"] > 0
    where = ("--aws-endpoint", stack.aws_url, "--api", stack.api_url)
    erased = tocsin(*where, "contacts", "erase", "c-emil")  # waits for the runner
    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert "erased:" in erased.stdout
    audit = tocsin(*where, "contacts", "audit", "c-emil")
    assert [line.split()[1] for line in audit.stdout.splitlines()] == [
        "erasure_requested",
        "erased",
    ]
    assert "(cli)" in audit.stdout and "arn:aws:" in audit.stdout


def test_the_stack_holds_secrets_for_its_slack_teams_and_mastodon_stand_ins(
    stack: LocalStack,
) -> None:
    import boto3

    from chalicelib.channels.social import SocialChannels
    from chalicelib.core.playbook.audiences import Outlet, OutletKind
    from local.bootstrap import SOCIAL_SECRETS

    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    secrets = session.client("secretsmanager", endpoint_url=stack.aws_url)
    social = SocialChannels(secrets)
    call("DELETE", f"{stack.aws_url}/_local/outbox")
    for kind, name in SOCIAL_SECRETS.items():
        outlet = Outlet(OutletKind(kind), name)
        social.post(outlet, f"Local {kind}\n\nPosted once.", f"local-{kind}")
        assert social.check(outlet).ok
    _, outbox = call("GET", f"{stack.aws_url}/_local/outbox")
    posted = [(m["channel"], m["subject"]) for m in outbox["messages"]]
    assert sorted(posted) == [(f"{k}", f"Local {k}") for k in sorted(SOCIAL_SECRETS)]
