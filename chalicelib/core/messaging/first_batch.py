"""An incident's first messages, sent by the invocation that opened it.

Queued, the first alert would wait for the dispatch queue to hand its message to a dispatcher,
which would read the incident and its people again: one SQS send, one receive and two reads on
the way to the first person paged. The evaluator has the incident and the contacts in hand when
it plans the jobs, so it sends the first ones itself (``FIRST_BATCH``; ``TOCSIN_FIRST_BATCH``),
through the same dispatcher (claim in the ledger, the budget, the paced channels) and queues
the rest. Nothing changes for
the guarantees: every message is claimed before it is sent, whoever sends it, and a redelivered
event finds its first batch in the ledger. What this invocation could not settle goes to the
queue: the jobs to try again (after ``retry_delay``), and the whole batch if sending failed
before the end (the ledger drops what went out; a job this invocation still claims waits on the
queue until its claim is stale, as any busy job does).

The evaluator then sends as a dispatcher does, so the quota is shared among every instance of
both functions (``TOCSIN_DISPATCH_CONCURRENCY`` counts them: ``infra/``), and the evaluator's
timeout is within the send claim's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.messaging.dispatch_report import DispatchReport
from chalicelib.core.messaging.ports import DispatchQueue
from chalicelib.core.model import Contact, Incident, NotificationJob

# A first level's pages, not a fan-out: the evaluator decides up to ten events an invocation,
# and a dispatch message carries 50 jobs. A crisis cell's whole plan fits.
FIRST_BATCH = 25
RETRY_DELAY = timedelta(seconds=10)


def _ignore(error: Exception) -> None:
    return None


def _unread(incident_id: str, report: DispatchReport) -> None:
    return None


class FirstBatch:
    """``size``: how many jobs are sent here (0: none, all queued); ``failed``: told why sending
    the batch here failed (the batch then goes to the queue); ``sent``: told what became of a
    batch sent here (as the dispatch handler logs what it sent)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        queue: DispatchQueue,
        size: int = FIRST_BATCH,
        retry_delay: timedelta = RETRY_DELAY,
        failed: Callable[[Exception], None] = _ignore,
        sent: Callable[[str, DispatchReport], None] = _unread,
    ) -> None:
        self._dispatcher = dispatcher
        self._queue = queue
        self._size = size
        self._retry_delay = retry_delay
        self._failed = failed
        self._sent = sent

    def send(
        self, incident: Incident, jobs: Sequence[NotificationJob], contacts: Sequence[Contact]
    ) -> list[NotificationJob]:
        """Send the first ``size`` of ``jobs`` now (``contacts``: the people they reach, as just
        read); the jobs left for the queue, in order."""
        first, rest = list(jobs[: self._size]), list(jobs[self._size :])
        if not first:
            return rest
        read = {contact.contact_id: contact for contact in contacts}
        try:
            report = self._dispatcher.dispatch(incident.incident_id, first, incident, read)
        except Exception as error:  # a DynamoDB or channel outage: the dispatcher's turn
            self._failed(error)
            return first + rest
        self._sent(incident.incident_id, report)
        if report.retry:
            self._queue.put_jobs(report.retry, self._retry_delay)
        return rest
