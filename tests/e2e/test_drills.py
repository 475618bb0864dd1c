"""Drills through the API and the queues: a simulation reaches its roster only, every message
marked; the register in JSON and CSV; bad input a clear 4xx with nothing sent."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.e2e.conftest import ChaliceTransport, sent_email, sent_sms, use_container
from tocsin_cli.main import main

ADA, BO = "+12025550101", "+12025550102"


@pytest.fixture
def ada(key_maker: Callable[..., str]) -> str:
    return key_maker("ada", {Scope.ACTIVATE}, contact_id="c-ada")


@pytest.fixture
def auditor(key_maker: Callable[..., str]) -> str:
    return key_maker("auditor", {Scope.READ})


def post(client: Client, key: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.post("/v1/drills", headers=headers, body=json.dumps(body).encode())


def get(client: Client, path: str, key: str, **headers: str) -> Any:
    return client.http.get(path, headers={"Authorization": f"Bearer {key}", **headers})


SIMULATION = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-ada", "c-bo"],
              "targets": [{"acknowledged": "90%", "within": "15m"}]}  # fmt: skip


def test_a_simulation_reaches_its_roster_only_and_is_in_the_register(
    client: Client, runner: QueueRunner, world: boto3.Session, ada: str, auditor: str
) -> None:
    started = post(client, ada, SIMULATION)
    assert started.status_code == 201, started.body
    drill_id = started.json_body["drill_id"]
    assert started.json_body["state"] == "running" and started.json_body["roster_size"] == 2
    runner.drain()
    assert {phone for phone, _ in sent_sms(world)} == {ADA, BO}
    assert all(text.startswith("[EXERCISE]") for _, text in sent_sms(world))
    assert {to for to, _ in sent_email(world)} == {"ada@example.com", "bo@example.com"}
    assert all("[EXERCISE]" in subject for _, subject in sent_email(world))

    again = post(client, ada, SIMULATION)
    assert again.status_code == 409 and drill_id in again.json_body["error"]["message"]

    shown = get(client, f"/v1/drills/{drill_id}", auditor)
    assert shown.status_code == 200
    assert shown.json_body["counts"]["reached"] == 2
    register = get(client, "/v1/drills", auditor)
    assert [d["drill_id"] for d in register.json_body["drills"]] == [drill_id]
    as_csv = get(client, "/v1/drills", auditor, Accept="text/csv")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    lines = as_csv.body.decode().splitlines()
    assert lines[0].startswith("drill_id,kind,plan,state") and lines[1].startswith(drill_id)
    assert "c-ada" not in as_csv.body.decode()  # no names or contact details for auditors
    incidents = get(client, "/v1/incidents?exercise=only", auditor).json_body["incidents"]
    assert [i["incident_id"] for i in incidents] == [shown.json_body["incident_id"]]


def test_a_surprise_keeps_its_moment_secret(
    client: Client, world: boto3.Session, ada: str, auditor: str
) -> None:
    window = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "02:00", "to": "05:00",
              "within": "30d", "timezone": "Europe/Copenhagen"}  # fmt: skip
    started = post(client, ada, {**SIMULATION, "kind": "surprise", "window": window})
    assert started.status_code == 201, started.body
    for body in (
        started.body,
        get(client, "/v1/drills", auditor).body,
        get(client, f"/v1/drills/{started.json_body['drill_id']}", auditor).body,
        get(client, "/v1/drills?format=csv", auditor).body,
    ):
        assert b"fire_at" not in body
    assert started.json_body["state"] == "scheduled" and started.json_body["incident_id"] is None
    assert sent_sms(world) == []


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"plan": "no-such-plan"}, 400, "plan"),
        ({"kind": "earthquake"}, 400, "kind"),
        ({"roster": []}, 400, "roster"),
        ({"kind": "surprise", "window": {"from": "02:00", "to": "02:00", "within": "1d"}}, 400,
         "window.to"),
        ({"kind": "surprise", "window": {"from": "02:00", "to": "03:00",
                                         "until": "2001-01-01T00:00Z"}}, 400, "window.until"),
        ({"colour": "red"}, 400, "colour"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_4xx_and_sends_nothing(
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    ada: str,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    refused = post(client, ada, {**SIMULATION, **change})
    assert refused.status_code == status, refused.body
    assert refused.json_body["error"]["field"] == field
    runner.drain()
    assert sent_sms(world) == [] and sent_email(world) == []


def test_only_a_personal_key_with_activate_may_start_a_drill(
    client: Client, ada: str, auditor: str
) -> None:
    assert post(client, auditor, SIMULATION).status_code == 403
    assert get(client, "/v1/drills/drl_01M8TBCTV0FSB6B6FSVJPGZ06W", auditor).status_code == 404
    assert get(client, "/v1/drills?limit=0", auditor).status_code == 400
    assert get(client, "/v1/drills?cursor=nonsense", auditor).status_code == 400


def test_the_command_runs_a_tabletop_and_lists_the_register(
    client: Client, world: boto3.Session, key_maker: Callable[..., str]
) -> None:
    out = io.StringIO()

    def tocsin(*argv: str) -> int:
        return main(list(argv), out, wiring.container(), transport=ChaliceTransport(client))

    ada = key_maker("ada-laptop", {Scope.ACTIVATE, Scope.READ}, contact_id="c-ada")
    roster = ("--roster", "c-ada,c-bo", "--roster", "role:legal")
    target = ("--target", "executive:90%:15m")
    ran = tocsin(
        "drill", "run", "crisis-cell", "--kind", "tabletop", *roster, *target, "--key", ada
    )
    text = out.getvalue()
    assert ran == 1, text  # done, with gaps to look at (hr has nobody on the roster)
    assert "tabletop" in text and "messages to 3 people" in text
    assert "c-dina" in text and " nb " in text  # Dina reads Norwegian
    assert "gap: role hr: nobody in role hr" in text
    assert sent_sms(world) == [] and sent_email(world) == []
    window = "mon-fri 02:00-05:00"
    assert tocsin("drill", "run", "crisis-cell", "--kind", "surprise", "--roster", "c-ada",
                  "--window", window, "--within", "30d", "--key", ada) == 0  # fmt: skip
    assert "fires unannounced inside mon,tue,wed,thu,fri 02:00-05:00 UTC" in out.getvalue()
    out.truncate(0)
    out.seek(0)
    assert tocsin("drill", "list", "--key", ada) == 0
    listed = out.getvalue().splitlines()
    assert len(listed) == 2 and "surprise" in listed[0] and "tabletop" in listed[1]
    out.truncate(0)
    out.seek(0)
    assert tocsin("drill", "list", "--csv", "--key", ada) == 0
    assert out.getvalue().splitlines()[0].startswith("drill_id,kind,plan")
    assert len(out.getvalue().splitlines()) == 3
    out.truncate(0)
    out.seek(0)
    assert tocsin("drill", "run", "no-plan", "--kind", "simulation", "--roster", "c-ada",
                  "--key", ada) == 2  # fmt: skip
    assert "refused" in out.getvalue() and "no response plan" in out.getvalue()


def test_the_escalation_tick_fires_a_surprise_inside_its_window_only(
    client: Client, runner: QueueRunner, world: boto3.Session, ada: str, auditor: str
) -> None:
    clock = FixedClock(datetime(2026, 12, 2, 1, 50, tzinfo=UTC))  # a Wednesday, 01:50 UTC
    use_container(clock=clock)
    window = {"weekdays": ["wed"], "from": "02:00", "to": "02:02", "within": "1d"}
    started = post(client, ada, {**SIMULATION, "kind": "surprise", "window": window})
    assert started.status_code == 201, started.body
    fired_at = None
    while clock.now() < datetime(2026, 12, 2, 2, 5, tzinfo=UTC):
        client.lambda_.invoke(
            "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
        )
        runner.drain()
        if fired_at is None and sent_sms(world):
            fired_at = clock.now()
        clock.advance(minutes=1)
    assert fired_at in (
        datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 2, 1, tzinfo=UTC),
    )
    assert {phone for phone, _ in sent_sms(world)} == {ADA, BO}
    shown = get(client, f"/v1/drills/{started.json_body['drill_id']}", auditor).json_body
    assert shown["state"] == "running" and shown["started_at"].startswith("2026-12-02T02:0")
