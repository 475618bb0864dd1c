"""An override declared in the playbook (as `tocsin import` writes them) pages its person, as one
entered with the API would."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from chalice.test import Client

from chalicelib.settings import Settings
from chalicelib.storage.playbooks import DynamoPlaybookStore
from fakes import FixedClock
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, sent_sms, use_container
from tocsin_cli.policies import read_policy_dir

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # c-fay's week on it-duty, office hours over
FAY, DINA = "+12025550105", "+12025550104"


def test_a_declared_override_pages_its_person_instead_of_the_rotation(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    use_container(world, clock=FixedClock(NIGHT))
    documents = read_policy_dir(PROJECT / "policies").sections
    duty = next(s for s in documents["oncall"] if s["id"] == "it-duty")
    duty["overrides"] = [
        {"id": "night-swap", "contact": "c-dina", "from": "2026-12-02T00:00:00Z",
         "to": "2026-12-02T06:00:00Z", "covers": "c-fay"},
    ]  # fmt: skip
    DynamoPlaybookStore(world.client("dynamodb"), settings.config_table).apply(documents, NIGHT)
    event = {"source": "monitoring", "type": "it.outage", "severity": "critical",
             "summary": "Payments API down", "dedup_key": "payments-down"}  # fmt: skip
    event_id = api.post_event(event).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    texted = [number for number, _ in sent_sms(world)]
    assert DINA in texted and FAY not in texted
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    assert any(e["kind"] == "paged" for e in timeline)
