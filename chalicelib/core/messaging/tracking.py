"""Delivery events update the send ledger and the timeline; a dead address is not used again."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.messaging.receipts import DeliveryReport
from chalicelib.core.model import TimelineEntry
from chalicelib.core.ports import Clock, DeliveryLedger, UsableAddresses


@dataclass(frozen=True)
class Tracked:
    known: bool  # False: a message Tocsin did not send (or whose pointer expired)
    marked_unusable: bool = False


class DeliveryTracker:
    def __init__(self, ledger: DeliveryLedger, contacts: UsableAddresses, clock: Clock) -> None:
        self._ledger = ledger
        self._contacts = contacts
        self._clock = clock

    def record(self, report: DeliveryReport) -> Tracked:
        job = self._ledger.find_sent(report.message_id)
        if job is None:
            return Tracked(known=False)
        summary = f"{job.channel.value} to {job.contact_id} {report.status.value}: {report.detail}"
        marked = False
        if report.unusable:
            # The same words on every redelivery of the event: its timeline entry is keyed.
            marked = self._contacts.mark_unusable(job.contact_id, job.channel)
            summary += f"; this {job.channel.value} address will not be used again"
        self._ledger.record_delivery(
            job,
            report,
            TimelineEntry(
                at=self._clock.now(),
                kind=f"delivery_{report.status.value}",
                summary=summary,
                data={
                    "contact_id": job.contact_id,
                    "channel": job.channel.value,
                    "step": job.step,
                    "status": report.status.value,
                    "detail": report.detail,
                    "source": report.source,
                    "unusable": report.unusable,
                },
                # Once per message and status, however often SNS delivers the event.
                key=f"delivery-{report.message_id}-{report.status.value}",
            ),
        )
        return Tracked(known=True, marked_unusable=marked)
