"""When nobody knows whether a message went out, and when a job is someone else's for now.

The send ledger's claim makes a redelivered job send nothing twice, with two exceptions that no
ledger can close, because the channel call's outcome is unknown:

- a claim older than the claim timeout is taken over: its invocation died mid-send, or AWS
  accepted the message and the ledger write that would have said so failed;
- the channel call's answer was lost (a read timeout, a connection closed mid-answer) after
  the request went out (``SendOutcomeUnknown``).

The message is then sent again, so it is never lost, and it may arrive twice: each such case
gets a timeline entry of kind :data:`OUTCOME_UNKNOWN` (one per case) and is counted in the
dispatch report. A job whose claim another invocation holds, within the timeout, goes back to
the queue until that claim would be stale (:func:`requeue_delay`): never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from chalicelib.core.errors import SendOutcomeUnknown
from chalicelib.core.messaging.entries import entry_name
from chalicelib.core.model import NotificationJob, TimelineEntry

OUTCOME_UNKNOWN = "outcome_unknown"
LONGEST_QUEUE_DELAY = timedelta(minutes=15)  # SQS DelaySeconds: at most 900
_MARGIN = timedelta(seconds=1)


def taken_over_entry(job: NotificationJob, since: datetime, now: datetime) -> TimelineEntry:
    """The claim made at ``since`` never recorded its outcome; the job is sent again now."""
    return _entry(
        job,
        now,
        f"the attempt claimed at {since:%H:%M:%S} UTC never recorded its outcome (its "
        "invocation died, or its ledger write failed after AWS accepted the message)",
        {"reason": "claim_taken_over", "claimed_at": since.isoformat()},
        marker=since,
    )


def answer_lost_entry(
    job: NotificationJob, error: SendOutcomeUnknown, now: datetime
) -> TimelineEntry:
    """The call went out and its answer was lost; the job will be sent again."""
    return _entry(
        job,
        now,
        f"AWS's answer was lost ({error.code}): the message may have been accepted",
        {"reason": "answer_lost", "error": error.code, "detail": error.message},
        marker=now,
    )


def requeue_delay(stale_at: Iterable[datetime], now: datetime) -> timedelta:
    """How long to keep held jobs off the queue: until the last of their claims would be
    stale (a second more), at least a second and at most SQS's longest delay (a job still held
    then goes round again)."""
    wait = max(stale_at, default=now) - now + _MARGIN
    return min(max(wait, _MARGIN), LONGEST_QUEUE_DELAY)


def _entry(
    job: NotificationJob, now: datetime, why: str, data: dict[str, str], marker: datetime
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind=OUTCOME_UNKNOWN,
        summary=f"{job.channel.value} to {job.contact_id}: {why}; sending it again, so it "
        "may arrive twice",
        data={
            "contact_id": job.contact_id,
            "channel": job.channel.value,
            "step": job.step,
            "notice": job.notice.value,
            **data,
        },
        key=f"unknown-{entry_name(job)}-{int(marker.timestamp() * 1000)}",
    )
