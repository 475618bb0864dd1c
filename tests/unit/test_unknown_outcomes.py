"""The send ledger's two gaps, closed honestly: a job another invocation holds goes back to the
queue (never skipped and its message deleted), and a message is sent twice only when a channel
call's outcome is unknown (its invocation died, its ledger write failed after AWS accepted, or
AWS's answer was lost), each such case on the timeline and counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import SendOutcomeUnknown, TransientError
from chalicelib.core.messaging.claims import RECORD_SENT_ATTEMPTS
from chalicelib.core.messaging.pacing import PacedSender, RetryBudget, TokenBucket
from chalicelib.core.messaging.uncertain import OUTCOME_UNKNOWN, requeue_delay
from chalicelib.core.model import Channel, Message, NotificationJob, SendReceipt, TimelineEntry
from fakes import MemorySendLedger, MemoryWorld, RecordingChannel, ScriptedChannel
from fakes.world import CLAIM_TIMEOUT
from tests.unit.conftest import ADA, NIGHT, story, texts
from tests.unit.test_dispatcher import INCIDENT_ID, job, open_incident


def unknown(org: MemoryWorld) -> list[str]:
    return story(org, INCIDENT_ID, OUTCOME_UNKNOWN)


def test_a_copy_of_a_job_held_elsewhere_goes_back_to_the_queue_until_the_claim_is_stale(
    org: MemoryWorld,
) -> None:
    """Another invocation claimed Ada's text a moment ago and is sending it: the copy is put
    back, delayed until that claim would be stale. Before, it was skipped and its message
    deleted, so had that invocation died, Ada would never have been texted."""
    open_incident(org)
    org.ledger.claim(job("c-ada"), NIGHT, NIGHT - CLAIM_TIMEOUT)  # the other invocation
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada")])
    assert (report.requeued, report.skipped, report.sent) == (1, 0, 0)
    assert org.dispatch_queue.next_due() == NIGHT + CLAIM_TIMEOUT + timedelta(seconds=1)
    assert org.dispatch_queue.bodies == []  # not before then

    org.run_queues()  # nobody finished it: at the claim timeout the copy takes it over
    assert len(texts(org, ADA)) == 1
    assert org.ledger.status(job("c-ada")) == "sent"
    [said] = unknown(org)
    assert said == (
        "sms to c-ada: the attempt claimed at 02:00:00 UTC never recorded its outcome (its "
        "invocation died, or its ledger write failed after AWS accepted the message); sending "
        "it again, so it may arrive twice"
    )


def test_a_copy_of_a_job_the_other_invocation_finished_sends_nothing(org: MemoryWorld) -> None:
    open_incident(org)
    org.ledger.claim(job("c-ada"), NIGHT, NIGHT - CLAIM_TIMEOUT)
    assert org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada")]).requeued == 1
    org.ledger.mark_sent(job("c-ada"), SendReceipt("m-1"), NIGHT, TimelineEntry(NIGHT, "x", "x"))
    report = org.dispatch_queued()  # nothing yet: the copy waits for the claim timeout
    assert report.requeued == report.sent == 0
    org.run_queues()
    assert texts(org, ADA) == [] and unknown(org) == []


class LosesWrites(MemorySendLedger):
    """AWS accepted the message, then DynamoDB failed the ledger write that says so, as often
    as ``failures`` says (each failure already after the SDK's own retries)."""

    failures = RECORD_SENT_ATTEMPTS

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: object, entry: TimelineEntry
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientError("DynamoDB: ThrottlingException")
        super().mark_sent(job, receipt, now, entry)  # type: ignore[arg-type]


class LosesOneWrite(LosesWrites):
    failures = 1


def test_a_failed_ledger_write_after_aws_accepted_is_tried_again_and_nothing_sent_twice() -> None:
    """Found by the fault harness (``make chaos``): the invocation knows AWS accepted the
    message, so one failed write must not give the job up to a takeover that sends it again.
    Before, Ada was texted twice here, though the outcome was never unknown."""
    org = MemoryWorld.example(NIGHT, ledger=LosesOneWrite)
    open_incident(org)
    org.dispatch_queue.put_jobs([job("c-ada"), job("c-ada")])  # and a copy, as SQS may
    org.run_queues()
    assert len(texts(org, ADA)) == 1
    assert org.ledger.status(job("c-ada")) == "sent"
    assert unknown(org) == []


def test_aws_accepted_but_the_ledger_write_failed_so_it_is_sent_again_counted_once() -> None:
    """The message went out; the invocation failed its record on every try, so SQS hands the
    message out again. Within the claim timeout the copy waits on the queue; after it the
    claim is taken over and Ada is texted again: an unknown outcome, on the timeline once. She
    is then among those reached, so the resolution notice reaches her (before, she never got
    one)."""
    org = MemoryWorld.example(NIGHT, ledger=LosesWrites)
    open_incident(org)
    org.dispatch_queue.put_jobs([job("c-ada")])
    with pytest.raises(TransientError):
        org.dispatch_queued()  # the handler reports the record as failed
    assert len(texts(org, ADA)) == 1
    org.dispatch_queue.put_jobs([job("c-ada")])  # SQS hands the message out again
    assert org.dispatch_queued().requeued == 1  # busy: its claim is fresh
    org.run_queues()

    assert len(texts(org, ADA)) == 2
    assert len(unknown(org)) == 1
    assert org.ledger.status(job("c-ada")) == "sent"
    assert ("c-ada", Channel.SMS) in org.ledger.reached(INCIDENT_ID)
    org.responses.resolve(INCIDENT_ID, Answerer.by_personal_key("chen", "c-chen"))
    org.run_queues()
    assert "resolved" in texts(org, ADA)[-1].lower()


def test_a_lost_answer_is_said_on_the_timeline_and_the_message_sent_again() -> None:
    """A read timeout after the request went out: AWS may have accepted it."""
    lost = SendOutcomeUnknown("ReadTimeoutError", "SNS Publish: no answer came")
    sms = RecordingChannel(Channel.SMS)
    org = MemoryWorld.example(NIGHT, senders={Channel.SMS: ScriptedChannel(sms, {ADA: [lost]})})
    open_incident(org)
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada")])
    assert (report.unknown_outcomes, report.retry) == (1, [job("c-ada")])
    assert org.ledger.status(job("c-ada")) == "retryable"
    [said] = unknown(org)
    assert said.startswith("sms to c-ada: AWS's answer was lost (ReadTimeoutError)")
    org.dispatch_queue.put_jobs(report.retry)  # the message, back after its visibility timeout
    org.run_queues()
    assert len(sms.to(ADA)) == 1 and len(unknown(org)) == 1  # the retry itself is no new case


def test_the_pacer_does_not_retry_a_call_whose_answer_was_lost() -> None:
    """Retrying inside the pacer would send again unseen: the dispatcher must see it."""
    lost = SendOutcomeUnknown("ReadTimeoutError", "no answer came")
    scripted = ScriptedChannel(RecordingChannel(Channel.SMS), {ADA: [lost, lost]})
    paced = PacedSender(
        scripted, TokenBucket(100, 5), RetryBudget(attempts=5), sleep=lambda _: None
    )
    with pytest.raises(SendOutcomeUnknown):
        paced.send(ADA, Message("hi"), INCIDENT_ID)
    assert scripted.attempts == [ADA]


def test_held_jobs_wait_until_the_last_claim_is_stale_within_sqs_limits() -> None:
    now = NIGHT
    assert requeue_delay([now + timedelta(seconds=30)], now) == timedelta(seconds=31)
    assert requeue_delay([now - timedelta(seconds=5)], now) == timedelta(seconds=1)
    assert requeue_delay([now + timedelta(hours=1)], now) == timedelta(minutes=15)
