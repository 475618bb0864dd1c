"""The console's incident page with a long timeline: ``GET /console/incidents/{id}``, in-process,
on moto.

    python -m bench.console [--entries 1000] [--runs 5]

A signed-in session (the local stack's personal key) asks for the page of an incident whose
timeline holds ``entries`` entries (a third of them sends and deliveries to the people its
escalation paged, two levels deep), through ``chalice.test.Client``: routing, the session and
key check, the reads, the reach table and Jinja2's rendering. moto stands in for DynamoDB in
the same process, so the figures are Tocsin's and moto's CPU. Seeding is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.environment import fake_aws
from chalicelib.core.ids import new_ulid
from chalicelib.core.model import (
    EventStatus,
    Incident,
    IncidentStatus,
    ResponseState,
    Severity,
    TimelineEntry,
)

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PAGED = (("c-chen",), ("c-chen", "c-fay"))  # it-major: the duty officer, then it-security


def incident(playbook_version: int) -> Incident:
    return Incident(
        incident_id=f"inc_{new_ulid(START)}",
        status=IncidentStatus.OPEN,
        title="Bench: checkout is failing",
        type="it.outage",
        severity=Severity.CRITICAL,
        event_status=EventStatus.ACTUAL,
        dedup_key="bench-console",
        rule_id="bench",
        plan_id="it-major-incident",
        opened_at=START,
        updated_at=START,
        playbook_version=playbook_version,
        response=ResponseState(
            policy_id="it-major",
            step=1,
            due_at=START + timedelta(hours=1),
            paged=PAGED[1],
            paged_by_step=PAGED,
            version=2,
        ),
    )


def entries(count: int) -> list[TimelineEntry]:
    made = []
    for number in range(count):
        at = START + timedelta(seconds=number)
        step = number % 2
        contact = PAGED[step][number % len(PAGED[step])]
        kind = ("notification_sent", "delivery_delivered", "note")[number % 3]
        made.append(
            TimelineEntry(
                at=at,
                kind=kind,
                summary=f"entry {number}: sms for {contact} <b>as text</b>",
                data={"step": step + 1, "contact_id": contact, "channel": "sms"},
                key=f"bench-{number}",
            )
        )
    return made


def measure(count: int = 1000, runs: int = 5) -> dict[str, Any]:
    """Milliseconds to answer the incident page of an incident with ``count`` entries."""
    fake_aws()
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from bench.lists import _DynamoTimer
    from chalicelib import wiring
    from chalicelib.settings import LOCAL_CONSOLE_KEY, Settings
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.playbooks import DynamoPlaybookStore
    from local.bootstrap import create_resources, seed, seed_console_key

    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with mock_aws():
        session = boto3.Session()
        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
        create_resources(settings, session)
        seed(settings, session)
        seed_console_key(settings, session)
        dynamodb = session.client("dynamodb")
        current = DynamoPlaybookStore(dynamodb, settings.config_table).current_version()
        opened = incident(current[0] if current else 0)
        store = DynamoIncidentStore(dynamodb, settings.incidents_table)
        store.create(opened, [])
        store.append(opened.incident_id, entries(count))
        wiring.reset()
        with Client(app, stage_name="local", project_dir=project) as client:
            signed_in = client.http.post(
                "/console/signin",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=f"key={LOCAL_CONSOLE_KEY}",
            )
            found = re.match(r"(tocsin_console=[^;]*)", signed_in.headers["Set-Cookie"])
            assert found, "the bench could not sign in"
            headers = {"Cookie": found.group(1)}
            path = f"/console/incidents/{opened.incident_id}"
            page = client.http.get(path, headers=headers)  # warm: clients and templates built
            assert page.status_code == 200, page.body[:500]
            rows = page.body.decode().count("<tr><td>2026-12-01")
            in_dynamodb = _DynamoTimer(wiring.container().dynamodb)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                client.http.get(path, headers=headers)
                samples.append((time.perf_counter() - started) * 1000)
        wiring.reset()
    return {
        "entries": count,
        "rows_rendered": rows,
        "page_bytes": len(page.body),
        "runs": runs,
        "page_ms": round(statistics.median(samples), 1),
        "page_ms_max": round(max(samples), 1),
        "dynamodb_calls": in_dynamodb.calls // runs,
        "dynamodb_ms": round(in_dynamodb.seconds * 1000 / runs, 1),
        "tocsin_ms": round((sum(samples) - in_dynamodb.seconds * 1000) / runs, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.entries, arguments.runs), indent=2))


if __name__ == "__main__":
    main()
