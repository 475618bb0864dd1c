"""Listing incidents through the API: ``GET /v1/incidents`` page after page, in-process, on moto.

    python -m bench.lists [--incidents 1000]

The app answers through ``chalice.test.Client`` (routing, key check, query parsing, the lists
index, JSON), with moto standing in for DynamoDB in the same process; so the figures are
Tocsin's and moto's CPU, not network latency. Seeding is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.environment import fake_aws
from chalicelib.core.ids import new_ulid
from chalicelib.core.model import EventStatus, Incident, IncidentStatus, Severity

PAGE = 200  # the largest page the API gives
START = datetime(2026, 1, 1, tzinfo=UTC)


def incidents(count: int) -> list[Incident]:
    made = []
    for number in range(count):
        opened = START + timedelta(minutes=17 * number)
        made.append(
            Incident(
                incident_id=f"inc_{new_ulid(opened)}",
                status=IncidentStatus.OPEN if number % 10 == 0 else IncidentStatus.RESOLVED,
                title=f"Bench incident {number}",
                type=("it.outage", "cyber.data_breach", "natural.earthquake")[number % 3],
                severity=Severity.HIGH,
                event_status=EventStatus.EXERCISE if number % 7 == 0 else EventStatus.ACTUAL,
                dedup_key=f"bench-{number}",
                rule_id="bench",
                plan_id="it-major-incident",
                opened_at=opened,
                updated_at=opened,
            )
        )
    return made


def measure(count: int = 1000, runs: int = 5) -> dict[str, Any]:
    """Milliseconds to list ``count`` incidents (every page), and one default page."""
    fake_aws()
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import wiring
    from chalicelib.settings import Settings
    from chalicelib.storage.incidents import DynamoIncidentStore
    from local.bootstrap import create_resources, seed

    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with mock_aws():
        session = boto3.Session()
        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
        create_resources(settings, session)
        seed(settings, session)
        store = DynamoIncidentStore(session.client("dynamodb"), settings.incidents_table)
        for incident in incidents(count):
            store.create(incident, [])
        wiring.reset()
        with Client(app, stage_name="local", project_dir=project) as client:
            headers = {"Authorization": f"Bearer {settings.local_api_key}"}

            def every_page(query: str) -> int:
                listed, cursor = 0, None
                while True:
                    path = f"/v1/incidents?{query}" + (f"&cursor={cursor}" if cursor else "")
                    body = json.loads(client.http.get(path, headers=headers).body)
                    listed += len(body["incidents"])
                    cursor = body["next_cursor"]
                    if cursor is None:
                        return listed

            every_page(f"limit={PAGE}&exercise=include")  # warm: clients and caches built
            in_dynamodb = _DynamoTimer(wiring.container().dynamodb)
            figures: dict[str, Any] = {"incidents": count, "page": PAGE, "runs": runs}
            for name, query in (
                ("all_ms", f"limit={PAGE}&exercise=include"),
                ("open_ms", f"limit={PAGE}&status=open"),
                ("one_type_ms", f"limit={PAGE}&type=natural.earthquake&exercise=include"),
                ("first_page_ms", "limit=50"),
            ):
                samples = []
                in_dynamodb.reset()
                for _ in range(runs):
                    started = time.perf_counter()
                    listed = (
                        every_page(query)
                        if name != "first_page_ms"
                        else len(
                            json.loads(
                                client.http.get(f"/v1/incidents?{query}", headers=headers).body
                            )["incidents"]
                        )
                    )
                    samples.append((time.perf_counter() - started) * 1000)
                figures[name] = round(statistics.median(samples), 1)
                figures[name.replace("_ms", "_listed")] = listed
                # DynamoDB calls a listing makes (each request also reads its key and counts it).
                figures[name.replace("_ms", "_dynamodb_calls")] = in_dynamodb.calls // runs
                # What is not moto's: routing, the key check, parsing, merging, JSON.
                figures[name.replace("_ms", "_tocsin_ms")] = round(
                    (sum(samples) - in_dynamodb.seconds * 1000) / runs, 1
                )
        wiring.reset()
    return figures


class _DynamoTimer:
    """Calls made to DynamoDB (moto, in this process) and the time spent in them."""

    def __init__(self, client: Any) -> None:
        self.calls = 0
        self.seconds = 0.0
        self._started = 0.0
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        self.calls, self.seconds = 0, 0.0

    def _before(self, **_: Any) -> None:
        self.calls += 1
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.incidents, arguments.runs), indent=2))


if __name__ == "__main__":
    main()
