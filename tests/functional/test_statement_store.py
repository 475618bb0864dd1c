"""One contract for the statement store, run against the DynamoDB adapter (under moto) and the
in-memory fake the use-case tests use: a statement added once per id, saved only over the
version before (two people racing change it once), its entries on the incident's timeline, and
each outlet claimed once until released."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.model import TimelineEntry
from chalicelib.core.playbook.audiences import StatementKind
from chalicelib.core.statements.ports import Approval, Statement, StatementState
from chalicelib.storage.incidents import DynamoIncidentStore
from chalicelib.storage.statements import DynamoStatementStore
from chalicelib.storage.tables import INCIDENTS
from fakes import MemoryIncidentStore, MemoryStatementStore

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
INCIDENT = "inc_01M8TBCTV0FSB6B6FSVJPGZ06W"
DRAFT = Statement(
    incident_id=INCIDENT,
    statement_id="staff-en-1",
    audience="staff",
    language="en",
    kind=StatementKind.INITIAL,
    subject="What we know",
    body="We are responding.\n",
    state=StatementState.DRAFT,
    required=2,
    roles=("communications", "executive"),
    created_at=NOW,
    created_by="tocsin",
)


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    if request.param == "memory":
        incidents = MemoryIncidentStore()
        yield MemoryStatementStore(incidents), incidents
        return
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("dynamodb")
        client.create_table(**INCIDENTS.create_table_arguments("incidents"))
        yield DynamoStatementStore(client, "incidents"), DynamoIncidentStore(client, "incidents")


def entry(name: str) -> TimelineEntry:
    return TimelineEntry(NOW, "statement_x", name, {"statement_id": "staff-en-1"}, key=name)


def test_a_statement_is_added_once_and_read_back_whole(stores: tuple[Any, Any]) -> None:
    store, incidents = stores
    assert store.add(DRAFT, [entry("drafted")])
    assert not store.add(replace(DRAFT, body="Another text.\n"), [entry("again")])
    assert store.get(INCIDENT, "staff-en-1") == DRAFT
    assert store.get(INCIDENT, "staff-en-2") is None
    later = replace(DRAFT, statement_id="customers-en-1", created_at=NOW + timedelta(seconds=1))
    assert store.add(later, [])
    assert [s.statement_id for s in store.list(INCIDENT)] == ["staff-en-1", "customers-en-1"]
    assert store.list("inc_other") == []
    assert [e.summary for e in incidents.timeline(INCIDENT)] == ["drafted"]


def test_saving_needs_the_version_before_so_a_race_changes_it_once(
    stores: tuple[Any, Any],
) -> None:
    store, incidents = stores
    store.add(DRAFT, [])
    approval = Approval("c-bo", NOW, "personal key", "bo-laptop", "api", DRAFT.digest)
    approved = replace(DRAFT, approvals=(approval,), version=2)
    rival = replace(DRAFT, state=StatementState.REJECTED, settled_by="c-ada", version=2)
    assert store.save(approved, [entry("approved")])
    assert not store.save(rival, [entry("rejected")])  # read version 1 too: it lost
    assert not store.save(replace(approved, version=5), [])
    stored = store.get(INCIDENT, "staff-en-1")
    assert stored == approved and stored.approvals[0].holder == "bo-laptop"
    assert [e.summary for e in incidents.timeline(INCIDENT)] == ["approved"]
    assert not store.save(replace(DRAFT, statement_id="never-added-1", version=2), [])


def test_each_outlet_is_claimed_once_until_a_failed_send_releases_it(
    stores: tuple[Any, Any],
) -> None:
    store, _ = stores
    assert store.claim_outlet(INCIDENT, "staff-en-1", "topic:stakeholders", NOW)
    assert not store.claim_outlet(INCIDENT, "staff-en-1", "topic:stakeholders", NOW)
    assert store.claim_outlet(INCIDENT, "staff-en-1", "email:all@example.com", NOW)
    assert store.claim_outlet(INCIDENT, "staff-en-2", "topic:stakeholders", NOW)
    store.release_outlet(INCIDENT, "staff-en-1", "topic:stakeholders")
    assert store.claim_outlet(INCIDENT, "staff-en-1", "topic:stakeholders", NOW)
    assert store.list(INCIDENT) == []  # claims are not statements
