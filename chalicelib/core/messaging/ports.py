"""What sending needs: the dispatch queue, the channels, and the send ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from chalicelib.core.errors import SendError
from chalicelib.core.model import (
    Channel,
    Incident,
    Message,
    Notice,
    NotificationJob,
    SendReceipt,
    TimelineEntry,
)
from chalicelib.core.wording.templates import AckInfo

WORDED_ELSEWHERE = frozenset({Notice.CHECKIN, Notice.CHECKIN_LEAD})  # by a NoticeWriter


class DispatchQueue(Protocol):
    def put_jobs(self, jobs: Sequence[NotificationJob]) -> None: ...


class ChannelSender(Protocol):
    """Hands one message to one AWS API; raises PermanentSendError or TransientSendError."""

    channel: Channel

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt: ...


@runtime_checkable
class BatchSender(ChannelSender, Protocol):
    """A channel whose API takes several people in one call, each with their own message."""

    batch_addresses: int  # addresses one call holds

    def send_batch(
        self, items: Sequence[tuple[str, Message]], incident_id: str
    ) -> list[SendReceipt | SendError]:
        """An outcome per item, in order; raises only when the whole call failed."""
        ...


class SendLedger(Protocol):
    """Records every send so a redelivered job never sends twice.

    claim()      -> True once per job, unless the previous attempt failed transiently or
                    has been 'sending' for longer than the stale limit (its invocation died)
    mark_sent()  -> the claim becomes 'sent' with AWS's message id, plus a timeline entry
    mark_failed()-> 'failed' (permanent) or 'retryable' (transient), plus a timeline entry
    """

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> bool: ...

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None: ...

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None: ...


class NoticeBatch(Protocol):
    def wanted(self, job: NotificationJob) -> bool:
        """Still worth sending (a reminder to someone who has answered since is not)."""
        ...

    def message(
        self, job: NotificationJob, language: str, timezone: str, ack: AckInfo | None
    ) -> Message: ...


class NoticeWriter(Protocol):
    """Words for the notices the playbook's templates do not write (a check-in's question, its
    reminders, a lead's list of the silent); asked once per dispatched batch."""

    def batch(self, incident: Incident, jobs: Sequence[NotificationJob]) -> NoticeBatch: ...
