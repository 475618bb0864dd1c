"""``make drill``'s script (``local/drill.py``) run in process: the same drill of the demo's
plan, answered the same way, through the app and its queues; the register counts it and judges
its targets; resolved, its report comes in each format ``make drill`` writes."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from local.drill import (
    FORMATS,
    ROSTER,
    DrillScript,
    await_receipts,
    finish_drill,
    register_lines,
    scripted_drill,
)
from local.runner import QueueRunner
from tests.e2e.conftest import ChaliceTransport, sent_email, sent_sms

ROSTER_ADDRESSES = {
    "+12025550101", "+12025550102", "+12025550103", "+12025550104",
    "ada@example.com", "bo@example.com", "chen@example.com", "dina@example.com",
}  # fmt: skip


def test_the_scripted_drill_reaches_the_roster_and_the_register_counts_its_answers(
    client: Client, runner: QueueRunner, world: boto3.Session, key_maker: Callable[..., str]
) -> None:
    scopes = {Scope.ACTIVATE, Scope.RESOLVE, Scope.READ}
    keys = {person: key_maker(f"{person}-drill", scopes, contact_id=person) for person in ROSTER}
    script = DrillScript(
        send=ChaliceTransport(client).send,
        api_url="http://127.0.0.1",
        keys=keys,
        messages=lambda: sent_sms(world),
        settle=lambda: runner.drain() and None,
    )
    drill_id = scripted_drill(script)
    runner.drain()
    reached = {phone for phone, _ in sent_sms(world)} | {to for to, _ in sent_email(world)}
    assert reached == ROSTER_ADDRESSES  # Fay, Emil and the others: nothing
    assert all(text.startswith("[EXERCISE]") for _, text in sent_sms(world))
    lines = register_lines(script, drill_id)
    assert (
        lines[0].startswith(f"{drill_id} ")
        and "simulation crisis-cell running roster 4" in lines[0]
    )
    assert "reached 4," in lines[1]
    assert "acknowledged 2, declined 1, silent 1," in lines[1]
    # The executives' 50 % (Ada of Ada and Dina) is met; 75 % of everyone asked is not met yet:
    # the drill runs with time left, so it is pending, not failed. (Bo is informed, not asked.)
    assert lines[2] == "  targets: pending"
    assert lines[3].startswith("    executive 50%/900s pass (1 of 2 in time, 50%; 50% after ")
    assert lines[4].startswith("    roster 75%/900s pending (")

    incident_id = script_incident(script, drill_id)
    # In process no stand-in sends delivery receipts: the time is up at once, nothing waited.
    assert not await_receipts(script, incident_id, 0.0, lambda: pytest.fail("waited"))
    reports = finish_drill(script, drill_id)
    assert set(reports) == set(FORMATS) == {"html", "md", "json"}
    document = json.loads(reports["json"])
    assert document["status"] == "resolved" and document["drill_id"] == drill_id
    assert [t["verdict"] for t in document["targets"]] == ["pass", "fail"]
    assert "## Drill targets" in reports["md"] and "| Channel |" in reports["md"]
    assert "<svg" in reports["html"] and "<script" not in reports["html"]
    lines = register_lines(script, drill_id)
    assert "finished" in lines[0] and lines[2] == "  targets: fail"


def script_incident(script: DrillScript, drill_id: str) -> str:
    status, raw = script.send(
        "GET",
        f"{script.api_url}/v1/drills/{drill_id}",
        {"Authorization": f"Bearer {script.keys['c-ada']}"},
        None,
    )
    assert status == 200
    return str(json.loads(raw)["incident_id"])
