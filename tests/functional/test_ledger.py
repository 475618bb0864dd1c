"""The send ledger, fake and DynamoDB alike, lets each job be sent once, only retries what may be
retried, and finds a sent message again by AWS's id when its delivery event arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from chalicelib.core.messaging.ports import Claim, ClaimOutcome
from chalicelib.core.messaging.receipts import DeliveryReport, DeliveryStatus
from chalicelib.core.model import Channel, Notice, NotificationJob, SendReceipt, TimelineEntry
from chalicelib.core.ports import IncidentStore
from fakes import MemoryIncidentStore, MemorySendLedger
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
JOB = NotificationJob("inc_1", "c-ada", Channel.SMS, fallbacks=(Channel.EMAIL,))
TIMEOUT = timedelta(minutes=2)
ENTRY = TimelineEntry(NOW, "notification_sent", "sent", {"error": "X"})


class Ledger(Protocol):
    """Every role the ledger plays: SendLedger, ReachedLedger, DeliveryLedger, and its status."""

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> Claim: ...

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None: ...

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None: ...

    def find_sent(self, message_id: str) -> NotificationJob | None: ...

    def reached(self, incident_id: str) -> list[tuple[str, Channel]]: ...

    def record_delivery(
        self, job: NotificationJob, report: DeliveryReport, entry: TimelineEntry
    ) -> None: ...

    def status(self, job: NotificationJob) -> str | None: ...


@pytest.fixture(params=BACKENDS)
def both(request: pytest.FixtureRequest) -> tuple[Ledger, IncidentStore]:
    if request.param == "fake":
        incidents = MemoryIncidentStore()
        return MemorySendLedger(incidents), incidents
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.ledger import DynamoSendLedger

    client = request.getfixturevalue("tables").client("dynamodb")
    table = request.getfixturevalue("settings").incidents_table
    return DynamoSendLedger(client, table), DynamoIncidentStore(client, table)


@pytest.fixture
def ledger(both: tuple[Ledger, IncidentStore]) -> Ledger:
    return both[0]


def claim(ledger: Ledger, at: datetime, job: NotificationJob = JOB) -> Claim:
    return ledger.claim(job, at, at - TIMEOUT)


def test_a_job_is_claimed_once_and_a_copy_learns_since_when_it_is_busy(ledger: Ledger) -> None:
    assert ledger.status(JOB) is None
    assert claim(ledger, NOW) == Claim(ClaimOutcome.CLAIMED)
    assert ledger.status(JOB) == "sending"
    busy = claim(ledger, NOW + timedelta(seconds=30))
    assert busy == Claim(ClaimOutcome.BUSY, NOW)  # back to the queue until NOW + TIMEOUT
    assert not busy.granted


def test_a_sent_job_is_never_claimed_again(ledger: Ledger) -> None:
    assert claim(ledger, NOW).granted
    ledger.mark_sent(JOB, SendReceipt("m-1"), NOW, ENTRY)
    assert claim(ledger, NOW + timedelta(hours=1)) == Claim(ClaimOutcome.DONE)
    assert ledger.status(JOB) == "sent"


def test_a_claim_whose_invocation_died_is_taken_over_saying_since_when(ledger: Ledger) -> None:
    assert claim(ledger, NOW).granted
    assert claim(ledger, NOW + TIMEOUT).outcome is ClaimOutcome.BUSY  # not older than the limit
    taken = claim(ledger, NOW + TIMEOUT + timedelta(milliseconds=1))
    assert taken == Claim(ClaimOutcome.TAKEN_OVER, NOW) and taken.granted
    # The new claim is fresh: a copy now is busy since the take-over, not since NOW.
    later = NOW + TIMEOUT + timedelta(seconds=5)
    assert claim(ledger, later) == Claim(
        ClaimOutcome.BUSY, NOW + TIMEOUT + timedelta(milliseconds=1)
    )


def test_a_transient_failure_may_be_retried_a_permanent_one_not(ledger: Ledger) -> None:
    assert claim(ledger, NOW).granted
    ledger.mark_failed(JOB, retryable=True, now=NOW, entry=ENTRY)
    assert ledger.status(JOB) == "retryable"
    assert claim(ledger, NOW) == Claim(ClaimOutcome.CLAIMED)  # known not sent: no doubt
    ledger.mark_failed(JOB, retryable=False, now=NOW, entry=ENTRY)
    assert claim(ledger, NOW + timedelta(hours=1)) == Claim(ClaimOutcome.DONE)
    assert ledger.status(JOB) == "failed"


def test_other_steps_channels_and_notices_are_separate_jobs(ledger: Ledger) -> None:
    assert claim(ledger, NOW).granted
    others = [
        NotificationJob("inc_1", "c-ada", Channel.EMAIL),
        NotificationJob("inc_1", "c-ada", Channel.SMS, step=1),
        NotificationJob("inc_1", "c-ada", Channel.SMS, notice=Notice.RESOLVED),
        NotificationJob("inc_2", "c-ada", Channel.SMS),
    ]
    for other in others:
        assert ledger.claim(other, NOW, NOW).outcome is ClaimOutcome.CLAIMED


def test_the_entries_land_on_the_incident_timeline(both: tuple[Ledger, IncidentStore]) -> None:
    ledger, incidents = both
    assert claim(ledger, NOW).granted
    ledger.mark_failed(JOB, True, NOW, TimelineEntry(NOW, "notification_failed", "failed"))
    assert claim(ledger, NOW).granted
    sent = TimelineEntry(NOW, "notification_sent", "sms handed to AWS", key="sent-c-ada-sms-0")
    ledger.mark_sent(JOB, SendReceipt("m-1"), NOW, sent)
    assert [(e.kind, e.summary) for e in incidents.timeline("inc_1")] == [
        ("notification_sent", "sms handed to AWS"),
        ("notification_failed", "failed"),
    ]


def test_a_sent_message_is_found_by_its_id_and_its_delivery_recorded(
    both: tuple[Ledger, IncidentStore],
) -> None:
    ledger, incidents = both
    assert ledger.find_sent("m-1") is None
    assert claim(ledger, NOW).granted
    ledger.mark_sent(JOB, SendReceipt("m-1"), NOW, ENTRY)
    # The job as a delivery event knows it: who, which channel, which step (not its chain).
    assert ledger.find_sent("m-1") == NotificationJob("inc_1", "c-ada", Channel.SMS)
    report = DeliveryReport("m-1", DeliveryStatus.DELIVERED, "delivered", source="sns-sms")
    delivered = TimelineEntry(NOW, "delivery_delivered", "sms delivered", key="delivery-m-1")
    ledger.record_delivery(JOB, report, delivered)
    ledger.record_delivery(JOB, report, delivered)  # the same event again: one entry
    assert [e.kind for e in incidents.timeline("inc_1")].count("delivery_delivered") == 1
    assert ledger.status(JOB) == "sent"


def test_reached_names_each_person_and_channel_an_alert_was_handed_to_aws(
    ledger: Ledger,
) -> None:
    jobs = [
        NotificationJob("inc_1", "c-bo", Channel.EMAIL),
        NotificationJob("inc_1", "c-ada", Channel.SMS),
        NotificationJob("inc_1", "c-ada", Channel.SMS, step=1),  # paged again: counted once
        NotificationJob("inc_1", "c-ada", Channel.VOICE, notice=Notice.RESOLVED),
        NotificationJob("inc_2", "c-dina", Channel.SMS),
    ]
    for number, job in enumerate(jobs):
        assert claim(ledger, NOW, job).granted
        ledger.mark_sent(job, SendReceipt(f"m-{number}"), NOW, ENTRY)
    failed = NotificationJob("inc_1", "c-chen", Channel.SMS)
    assert claim(ledger, NOW, failed).granted
    ledger.mark_failed(failed, False, NOW, ENTRY)
    assert claim(ledger, NOW, NotificationJob("inc_1", "c-emil", Channel.EMAIL)).granted  # sending
    assert ledger.reached("inc_1") == [("c-ada", Channel.SMS), ("c-bo", Channel.EMAIL)]
    assert ledger.reached("inc_3") == []
