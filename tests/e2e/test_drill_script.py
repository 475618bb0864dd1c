"""``make drill``'s script (``local/drill.py``) run in process: the same drill of the demo's
plan, answered the same way, through the app and its queues; the register counts it."""

from __future__ import annotations

from collections.abc import Callable

import boto3
from chalice.test import Client

from chalicelib.core.access import Scope
from local.drill import ROSTER, DrillScript, register_lines, scripted_drill
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
