"""The send ledger in memory, by the rules of ``storage/ledger.py`` (one contract suite,
``tests/functional/test_ledger.py``, runs against both):

claim ─▶ absent or 'retryable' ─▶ 'sending', CLAIMED
      ─▶ 'held' past the budget (fakes/spend.py), for a job released from that hold ─▶ 'sending',
         CLAIMED
      ─▶ 'sending' since before the stale limit ─▶ 'sending', TAKEN_OVER (since the old claim)
      ─▶ 'sending' since within the limit ─▶ BUSY (since that claim); anything else ─▶ DONE
mark_sent ─▶ 'sent' + message id + timeline entry + a pointer from the message id to the job
mark_failed ─▶ 'failed' or 'retryable' + timeline entry
claim_all, mark_all_sent ─▶ claim, mark_sent for each, in order
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from chalicelib.core.messaging.ports import Claim, ClaimOutcome
from chalicelib.core.messaging.receipts import DeliveryReport
from chalicelib.core.model import Channel, Notice, NotificationJob, SendReceipt, TimelineEntry
from fakes.incidents import MemoryIncidentStore

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
RETRYABLE = "retryable"
HELD = "held"
CANCELLED = "cancelled"


@dataclass
class LedgerItem:
    job: NotificationJob
    status: str | None = None
    claimed_at: int | None = None  # milliseconds, as the adapter compares them
    attempts: int = 0
    message_id: str | None = None
    last_error: str | None = None
    delivery: str | None = None
    delivery_detail: str | None = None
    hold_id: str | None = None  # held past the budget in this hold


_CLAIMED = Claim(ClaimOutcome.CLAIMED)  # immutable: one for every fresh claim


class MemorySendLedger:
    def __init__(self, incidents: MemoryIncidentStore) -> None:
        self._incidents = incidents  # the timeline entries land on the incident's timeline
        self.items: dict[tuple[str, str], LedgerItem] = {}
        self._pointers: dict[str, NotificationJob] = {}

    def claim(self, job: NotificationJob, now: datetime, stale_before: datetime) -> Claim:
        return self._claim(job, _millis(now), _millis(stale_before))

    def _claim(self, job: NotificationJob, now: int, stale_before: int) -> Claim:
        key = _key(job)
        item = self.items.get(key)
        claim = _CLAIMED
        if item is not None and item.status == SENDING and item.claimed_at is not None:
            since = datetime.fromtimestamp(item.claimed_at / 1000, UTC)
            if item.claimed_at >= stale_before:
                return Claim(ClaimOutcome.BUSY, since)
            claim = Claim(ClaimOutcome.TAKEN_OVER, since)
        elif item is not None and item.status not in (None, RETRYABLE):
            released = job.hold is not None and item.status == HELD and item.hold_id == job.hold
            if not released:  # only a person's release, from that very hold, reopens it
                return Claim(ClaimOutcome.DONE)
        item = item or LedgerItem(job)
        item.job = replace(job, hold=None) if job.hold else job
        item.status, item.claimed_at = SENDING, now
        item.attempts += 1
        self.items[key] = item
        return claim

    def claim_all(
        self, jobs: Sequence[NotificationJob], now: datetime, stale_before: datetime
    ) -> list[Claim]:
        millis, stale = _millis(now), _millis(stale_before)  # the batch's: read once
        return [self._claim(job, millis, stale) for job in jobs]

    def mark_all_sent(
        self, sent: Sequence[tuple[NotificationJob, SendReceipt, TimelineEntry]], now: datetime
    ) -> None:
        for job, receipt, entry in sent:
            self.mark_sent(job, receipt, now, entry)

    def mark_sent(
        self, job: NotificationJob, receipt: SendReceipt, now: datetime, entry: TimelineEntry
    ) -> None:
        item = self._item(job)
        item.status, item.message_id = SENT, receipt.message_id
        self._pointers[receipt.message_id] = (
            job  # the same job as the pointer the adapter reads back (immutable: shared)
            if not job.fallbacks and job.hold is None
            else NotificationJob(
                job.incident_id, job.contact_id, job.channel, job.step, notice=job.notice
            )
        )
        self._incidents.put_entry(job.incident_id, entry)

    def mark_failed(
        self, job: NotificationJob, retryable: bool, now: datetime, entry: TimelineEntry
    ) -> None:
        item = self._item(job)
        item.status = RETRYABLE if retryable else FAILED
        item.last_error = str(entry.data.get("error", ""))
        self._incidents.put_entry(job.incident_id, entry)

    def find_sent(self, message_id: str) -> NotificationJob | None:
        return self._pointers.get(message_id)

    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        found: dict[tuple[str, Channel], None] = {}
        for (incident, _), item in sorted(self.items.items()):
            if incident == incident_id and item.status == SENT and item.job.notice is Notice.ALERT:
                found[(item.job.contact_id, item.job.channel)] = None
        return list(found)

    def record_delivery(
        self, job: NotificationJob, report: DeliveryReport, entry: TimelineEntry
    ) -> None:
        item = self._item(job)
        item.delivery, item.delivery_detail = report.status.value, report.detail
        self._incidents.put_entry(job.incident_id, entry)

    def status(self, job: NotificationJob) -> str | None:
        item = self.items.get(_key(job))
        return item.status if item else None

    def _item(self, job: NotificationJob) -> LedgerItem:
        key = _key(job)
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = LedgerItem(job)
        return item


def _key(job: NotificationJob) -> tuple[str, str]:
    return job.incident_id, job.ledger_name


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
