"""What sending needs: the dispatch queue, the channels, and the send ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from chalicelib.core.errors import SendError
from chalicelib.core.model import (
    Channel,
    Message,
    NotificationJob,
    SendReceipt,
    TimelineEntry,
)


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
