"""What sending needs: the dispatch queue, the channels, and the send ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol, TypeGuard, runtime_checkable

from chalicelib.core.errors import SendError
from chalicelib.core.messaging.passes import ResponderPass
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

# Worded by a NoticeWriter (writers.py), not by the playbook's templates.
WORDED_ELSEWHERE = frozenset(
    {Notice.CHECKIN, Notice.CHECKIN_LEAD, Notice.UPDATE, Notice.UPDATE_DUE}
)


class DispatchQueue(Protocol):
    def put_jobs(self, jobs: Sequence[NotificationJob], delay: timedelta = timedelta(0)) -> None:
        """Queue the jobs, to be handed out no sooner than ``delay`` from now (at most 15
        minutes: SQS's longest delay)."""
        ...


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


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"  # never tried, or the last try failed for now: send
    TAKEN_OVER = "taken_over"  # 'sending' since before the stale limit: send, outcome unknown
    BUSY = "busy"  # another invocation claimed it within the limit: try again once it is stale
    DONE = "done"  # sent, failed for good, or held past the budget (not released): nothing to do


@dataclass(frozen=True)
class Claim:
    """What claiming a job found. ``since``: when the claim now ``BUSY`` elsewhere, or just
    ``TAKEN_OVER``, was made; the outcome of a send under a taken-over claim is unknown (the
    invocation died, or AWS accepted and the ledger write failed), so sending again may send
    twice: the dispatcher says so on the timeline."""

    outcome: ClaimOutcome
    since: datetime | None = None

    @property
    def granted(self) -> bool:
        return self.outcome in (ClaimOutcome.CLAIMED, ClaimOutcome.TAKEN_OVER)


class SendLedger(Protocol):
    """Records every send so a redelivered job sends nothing twice (unless its outcome is
    unknown: ``uncertain.py``).

    claim()      -> CLAIMED once per job, and again after a transient failure, or for a job a
                    person released from the very hold it waits in (once); TAKEN_OVER once it
                    has been 'sending' for longer than the stale limit (its invocation died);
                    BUSY while another invocation's claim is fresh; DONE once finished (or held
                    past the budget, or cancelled)
    mark_sent()  -> the claim becomes 'sent' with AWS's message id, plus a timeline entry
    mark_failed()-> 'failed' (permanent) or 'retryable' (transient), plus a timeline entry
    """

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> Claim: ...

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None: ...

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None: ...


@runtime_checkable
class BatchLedger(SendLedger, Protocol):
    """A ledger that claims and closes many jobs per call (DynamoDB: one transaction of up to
    100 items), with the outcomes :meth:`SendLedger.claim` and ``mark_sent`` would give."""

    def claim_all(
        self, jobs: Sequence[NotificationJob], now: datetime, stale_before: datetime
    ) -> list[Claim]:
        """A claim per job, in order."""
        ...

    def mark_all_sent(
        self, sent: Sequence[tuple[NotificationJob, SendReceipt, TimelineEntry]], now: datetime
    ) -> None:
        """``mark_sent`` for each; each job's writes together (all or none of them)."""
        ...


@runtime_checkable
class PassingLedger(BatchLedger, Protocol):
    """A batch ledger that registers the people's passes beside its claims (DynamoDB: in the
    same transaction when they fit), so the first message waits for one write, not two."""

    def claim_all_registering(
        self,
        jobs: Sequence[NotificationJob],
        now: datetime,
        stale_before: datetime,
        passes: Sequence[ResponderPass],
    ) -> list[Claim]:
        """``claim_all``, with ``passes`` registered before any job is sent."""
        ...


def batch_ledger(ledger: SendLedger) -> TypeGuard[BatchLedger]:
    """Whether ``ledger`` is a :class:`BatchLedger`: decided once for its class (a Protocol's
    ``isinstance`` is slow, and every dispatch asks twice)."""
    return _batch_ledger_class(type(ledger))


@lru_cache(maxsize=64)
def _batch_ledger_class(kind: type[SendLedger]) -> bool:
    return issubclass(kind, BatchLedger)


def passing_ledger(ledger: SendLedger) -> TypeGuard[PassingLedger]:
    """Whether ``ledger`` is a :class:`PassingLedger`, decided once for its class."""
    return _passing_ledger_class(type(ledger))


@lru_cache(maxsize=64)
def _passing_ledger_class(kind: type[SendLedger]) -> bool:
    return issubclass(kind, PassingLedger)


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
