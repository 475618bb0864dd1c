"""What dispatching writes on an incident's timeline: each message sent, failed or fallen back.

Keyed by the job, so a retried step writes its entry again in place instead of twice. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from chalicelib.core.errors import SendError
from chalicelib.core.model import Notice, NotificationJob, SendReceipt, TimelineEntry
from chalicelib.core.spend.meter import Charge

_NOTICE_NOTES = {
    Notice.RESOLVED: " (resolution notice)",
    Notice.BUDGET: " (messages held)",
    Notice.UPDATE: " (update)",
    Notice.UPDATE_DUE: " (update due)",
}


def sent_entry(
    job: NotificationJob, receipt: SendReceipt, charge: Charge, now: datetime
) -> TimelineEntry:
    """With the message's units and estimated price: an incident's cost adds up from these."""
    channel = job.channel.value
    data = {
        "contact_id": job.contact_id,
        "channel": channel,
        "step": job.step,
        "message_id": receipt.message_id,
        "notice": job.notice.value,
        **charge.to_data(),
    }
    summary = f"{channel} handed to AWS for {job.contact_id}" + _NOTICE_NOTES.get(job.notice, "")
    if job.hold:
        summary += f" (released from hold {job.hold})"
        data["hold_id"] = job.hold
    key = f"sent-{entry_name(job)}"
    return TimelineEntry(at=now, kind="notification_sent", summary=summary, data=data, key=key)


def failed_entry(
    job: NotificationJob, error: SendError, retryable: bool, now: datetime
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="notification_failed",
        summary=f"{job.channel.value} to {job.contact_id} failed: {error.code}"
        + (" (will retry)" if retryable else ""),
        data={
            "contact_id": job.contact_id,
            "channel": job.channel.value,
            "step": job.step,
            "error": error.code,
            "detail": error.message,
            "retryable": retryable,
            "notice": job.notice.value,
        },
    )


def fallback_entry(
    job: NotificationJob, following: NotificationJob, why: str, now: datetime
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="fallback",
        summary=f"{job.channel.value} to {job.contact_id} {why}; "
        f"falling back to {following.channel.value}",
        data={
            "contact_id": job.contact_id,
            "from": job.channel.value,
            "to": following.channel.value,
            "reason": why,
            "step": job.step,
            "notice": job.notice.value,
        },
        key=f"fallback-{entry_name(job)}",
    )


def fallback_job(job: NotificationJob) -> NotificationJob | None:
    """The job on the next channel of its fallback chain (None: the chain is done)."""
    if not job.fallbacks:
        return None
    return NotificationJob(
        job.incident_id,
        job.contact_id,
        job.fallbacks[0],
        job.step,
        job.fallbacks[1:],
        job.notice,
        job.hold,  # a released message's fallback is released too
    )


def entry_name(job: NotificationJob) -> str:
    """The timeline key part for a job (the same as before resolution notices existed)."""
    name = f"{job.contact_id}-{job.channel.value}-{job.step}"
    return name if job.notice is Notice.ALERT else f"{name}-{job.notice.value}"


def channel_counts(jobs: Iterable[NotificationJob]) -> dict[str, int]:
    """How many of ``jobs`` go out on each channel: what a ``planned`` or ``paged`` entry
    declares, so a report can tell planned from sent per channel."""
    return dict(sorted(Counter(job.channel.value for job in jobs).items()))
