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
    """moto with Tocsin's tables, queues, sender identity and stakeholder topic, and nothing
    in them (the ``world`` fixture also seeds the example playbook and contacts)."""
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    return aws
