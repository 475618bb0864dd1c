"""What dispatching writes on an incident's timeline: each message sent, failed or fallen back.

Keyed by the job, so a retried step writes its entry again in place instead of twice. Pure.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.errors import SendError
from chalicelib.core.model import Notice, NotificationJob, SendReceipt, TimelineEntry


def sent_entry(job: NotificationJob, receipt: SendReceipt, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="notification_sent",
        summary=f"{job.channel.value} handed to AWS for {job.contact_id}"
        + (" (resolution notice)" if job.notice is Notice.RESOLVED else ""),
        data={
            "contact_id": job.contact_id,
            "channel": job.channel.value,
            "step": job.step,
            "message_id": receipt.message_id,
            "notice": job.notice.value,
        },
        key=f"sent-{entry_name(job)}",
    )


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
        },
        key=f"fallback-{entry_name(job)}",
    )


def entry_name(job: NotificationJob) -> str:
    """The timeline key part for a job (the same as before resolution notices existed)."""
    name = f"{job.contact_id}-{job.channel.value}-{job.step}"
    return name if job.notice is Notice.ALERT else f"{name}-{job.notice.value}"
