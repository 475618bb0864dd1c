"""Drills judged end to end, through the API, the queues and the command, on an injected clock:
two drills of one plan with scripted answers; the register (JSON, CSV, ``tocsin drill list``)
shows each target's result beside the raw counts, pending while it may still pass; the second
drill's report compares it with the first; the analytics' pass rate counts both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from fakes import FixedClock
from local.runner import QueueRunner
from tests.e2e.conftest import ChaliceTransport, use_container
from tocsin_cli.main import main

T = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DRILL = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-ada", "c-bo", "c-chen"],
         "targets": [{"role": "executive", "acknowledged": "100%", "within": "5m"},
                     {"acknowledged": "60%", "within": "10m"}]}  # fmt: skip


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(T)
    use_container(clock=fixed)
    return fixed


@pytest.fixture
def keys(key_maker: Callable[..., str]) -> dict[str, str]:
    scopes = {Scope.ACTIVATE, Scope.RESOLVE, Scope.READ}
    return {c: key_maker(f"{c}-key", scopes, contact_id=c) for c in ("c-ada", "c-chen")}


def call(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if method == "GET":
        return client.http.get(path, headers=headers)
    return client.http.post(path, headers=headers, body=json.dumps(body or {}).encode())


def drill(
    client: Client,
    runner: QueueRunner,
    clock: FixedClock,
    keys: dict[str, str],
    answers: dict[str, int],
) -> dict[str, Any]:
    """A drill answered at ``answers`` (contact -> seconds after the start), then resolved."""
    started = call(client, "POST", "/v1/drills", keys["c-ada"], DRILL)
    assert started.status_code == 201, started.body
    runner.drain()
    begun = clock.now()
    incident = started.json_body["incident_id"]
    for contact, seconds in answers.items():
        clock.current = begun + timedelta(seconds=seconds)
        answered = call(client, "POST", f"/v1/incidents/{incident}/acknowledge", keys[contact])
        assert answered.status_code == 200, answered.body
    return dict(started.json_body)


def test_the_register_the_report_and_the_analytics_judge_real_drills(
    client: Client, runner: QueueRunner, clock: FixedClock, keys: dict[str, str]
) -> None:
    ada = keys["c-ada"]
    first = drill(client, runner, clock, keys, {"c-ada": 240})
    shown = call(client, "GET", f"/v1/drills/{first['drill_id']}", ada).json_body
    assert [r["verdict"] for r in shown["results"]] == ["pass", "pending"]  # 4 min in
    assert shown["counts"]["acknowledged"] == 1
    resolved = call(client, "POST", f"/v1/incidents/{first['incident_id']}/resolve", ada)
    assert resolved.status_code == 200, resolved.body
    clock.advance(days=7)
    second = drill(client, runner, clock, keys, {"c-ada": 60, "c-chen": 180})
    call(client, "POST", f"/v1/incidents/{second['incident_id']}/resolve", ada)

    register = call(client, "GET", "/v1/drills", ada).json_body["drills"]
    assert [(d["drill_id"], d["verdict"]) for d in register] == [
        (second["drill_id"], "pass"),
        (first["drill_id"], "fail"),
    ]
    failed = register[1]["results"][1]
    assert (failed["asked"], failed["in_time"], failed["needed"], failed["verdict"]) == (
        2, 1, 2, "fail",
    )  # fmt: skip
    assert failed["achieved_share"] == 0.5 and failed["reached_after_seconds"] is None
    table = list(csv.DictReader(io.StringIO(
        call(client, "GET", "/v1/drills?format=csv", ada).body.decode()
    )))  # fmt: skip
    assert [(row["verdict"], row["acknowledged"]) for row in table] == [
        ("pass", "2"),
        ("fail", "1"),
    ]
    assert table[0]["target_results"].startswith(
        "executive 100% within 300s: pass (1 of 1 in time, 100%; 100% reached after 1m 00s); "
        "roster 60% within 600s: pass (2 of 2 in time, 100%; 60% reached after 3m 00s)"
    )

    out = io.StringIO()

    def tocsin(*argv: str) -> int:
        return main(list(argv), out, wiring.container(), transport=ChaliceTransport(client))

    assert tocsin("drill", "list", "--key", ada) == 0
    listed = out.getvalue().splitlines()
    assert (
        "targets pass: executive 100%/300s pass (1 of 1 in time, 100%; 100% after 60s)"
        in (listed[0])
    )
    assert "roster 60%/600s fail (1 of 2 in time, 50%; 60% after -)" in listed[1]

    report = call(client, "GET", f"/v1/incidents/{second['incident_id']}/report", ada).json_body
    assert report["drill_verdict"] == "pass"
    change = report["since_previous_drill"]
    assert change["previous_drill_id"] == first["drill_id"]
    figures = {f["figure"]: (f["previous"], f["now"]) for f in change["figures"]}
    assert figures["acknowledged share"] == (0.5, 1.0)
    assert figures["first acknowledgement after the start"] == (240.0, 60.0)
    assert figures["targets passed"] == (1.0, 2.0)
    page = call(client, "GET", f"/v1/incidents/{second['incident_id']}/report?format=html", ada)
    assert "Since the previous drill of this plan" in page.body.decode()

    analytics = call(client, "GET", "/v1/analytics?since=30d", ada).json_body
    assert analytics["drill_pass_rate"] == [{"month": "2026-12", "passed": 1, "drills": 2}]
    out.truncate(0)
    out.seek(0)
    assert tocsin("analytics", "--since", "30d", "--format", "csv") == 0
    assert "drills,2026-12,passed,1 of 2" in out.getvalue().replace("\r", "")
