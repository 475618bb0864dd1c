"""The send ledger lets each job be sent once, and only retries what may be retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core.model import Channel, NotificationJob, SendReceipt, TimelineEntry
from chalicelib.settings import Settings
from chalicelib.storage.ledger import DynamoSendLedger

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
JOB = NotificationJob("inc_1", "c-ada", Channel.SMS)
TIMEOUT = timedelta(minutes=2)
ENTRY = TimelineEntry(NOW, "notification_sent", "sent", {"error": "X"})


@pytest.fixture
def ledger(world: boto3.Session, settings: Settings) -> DynamoSendLedger:
    return DynamoSendLedger(world.client("dynamodb"), settings.incidents_table)


def claim(ledger: DynamoSendLedger, at: datetime) -> bool:
    return ledger.claim(JOB, at, at - TIMEOUT)


def test_a_job_is_claimed_once(ledger: DynamoSendLedger) -> None:
    assert claim(ledger, NOW) is True
    assert claim(ledger, NOW + timedelta(seconds=30)) is False


def test_a_sent_job_is_never_claimed_again(ledger: DynamoSendLedger) -> None:
    assert claim(ledger, NOW)
    ledger.mark_sent(JOB, SendReceipt("m-1"), NOW, ENTRY)
    assert claim(ledger, NOW + timedelta(hours=1)) is False
    assert ledger.status(JOB) == "sent"


def test_a_claim_whose_invocation_died_can_be_taken_over(ledger: DynamoSendLedger) -> None:
    assert claim(ledger, NOW)
    assert claim(ledger, NOW + TIMEOUT + timedelta(seconds=1)) is True


def test_a_transient_failure_may_be_retried_a_permanent_one_not(ledger: DynamoSendLedger) -> None:
    assert claim(ledger, NOW)
    ledger.mark_failed(JOB, retryable=True, now=NOW, entry=ENTRY)
    assert claim(ledger, NOW) is True
    ledger.mark_failed(JOB, retryable=False, now=NOW, entry=ENTRY)
    assert claim(ledger, NOW + timedelta(hours=1)) is False
    assert ledger.status(JOB) == "failed"


def test_other_steps_and_channels_are_separate_jobs(ledger: DynamoSendLedger) -> None:
    assert claim(ledger, NOW)
    assert ledger.claim(NotificationJob("inc_1", "c-ada", Channel.EMAIL), NOW, NOW)
    assert ledger.claim(NotificationJob("inc_1", "c-ada", Channel.SMS, step=1), NOW, NOW)
