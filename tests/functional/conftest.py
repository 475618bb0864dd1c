"""Contract suites: each runs the same tests against a port's in-memory fake (``fakes/``) and
its AWS adapter under moto, so the fake the unit tests and benchmarks rely on cannot drift.

A suite's ``backend`` fixture is parametrised by name; the moto world is only built for the
adapter, so the fake's half of every suite runs in microseconds."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.settings import Settings

BACKENDS = ["fake", "aws"]


@pytest.fixture
def tables(aws: boto3.Session, settings: Settings) -> boto3.Session:
    """moto with Tocsin's three tables, empty (from their one definition)."""
    from chalicelib.storage.tables import CONFIG, CONTACTS, INCIDENTS

    client = aws.client("dynamodb")
    for definition, name in (
        (CONFIG, settings.config_table),
        (CONTACTS, settings.contacts_table),
        (INCIDENTS, settings.incidents_table),
    ):
        client.create_table(**definition.create_table_arguments(name))
    return aws


@pytest.fixture
def resources(aws: boto3.Session, settings: Settings) -> boto3.Session:
    """moto with everything ``make run`` creates (tables, queues, sender identity, stakeholder
    topic), and nothing in it (``world`` also seeds the example playbook and contacts)."""
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    return aws
