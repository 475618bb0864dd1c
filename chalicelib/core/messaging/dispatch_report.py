"""What one dispatch did: the dispatcher's report (``dispatch.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.model import NotificationJob, SendReceipt, TimelineEntry


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0  # past the budget: waiting for a person to release or cancel them
    retry: list[NotificationJob] = field(default_factory=list)
    first_alert_at: datetime | None = None  # when this batch handed its first alert to AWS
    unknown_outcomes: int = 0  # sent again though the earlier attempt may have reached AWS
    requeued: int = 0  # claimed by another invocation: back on the queue until that is stale
    # accepted by AWS, to be closed in the ledger at the end of the round (one write per 33)
    unrecorded: list[tuple[NotificationJob, SendReceipt, TimelineEntry]] = field(
        default_factory=list, repr=False
    )

    @property
    def needs_retry(self) -> bool:
        return bool(self.retry)

    def take_unrecorded(self) -> list[tuple[NotificationJob, SendReceipt, TimelineEntry]]:
        """What AWS accepted since the last call, to close in the ledger now."""
        taken, self.unrecorded = self.unrecorded, []
        return taken
