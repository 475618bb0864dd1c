"""The erasure queue's edge: each message names a job; the worker runs it slice by slice for a
bounded time, checkpointing as it goes, and queues the rest (so no invocation scans the whole
table, and a crash loses at most one slice's progress, never a rewrite or a count).

A failure returns the message to the queue (the job resumes at its checkpoint): it is named in
the partial batch response, which the event source mapping reads, as for the other queue
handlers. One that keeps failing reaches the dead-letter queue (why it last failed is kept, as
for the others), and erasing the person again queues the job again.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chalice.app import SQSEvent, SQSRecord

from chalicelib.handlers import EdgeBlueprint
from chalicelib.handlers.queues import BatchResponse, process_batch
from chalicelib.observability import logger, set_correlation_id
from chalicelib.settings import ERASURE_QUEUE, bound_name
from chalicelib.wiring import container

erasure = EdgeBlueprint(__name__)

WORK_SECONDS = 20.0  # per invocation; the rest of the job goes back on the queue
_SPARE = 0.25  # of what is left of the invocation, for the last slice and its checkpoint


@erasure.on_sqs_message(queue=bound_name(ERASURE_QUEUE), batch_size=1)
def erase_contacts(event: SQSEvent) -> BatchResponse:
    services = container()
    budget = timedelta(seconds=_work_seconds(event.context))

    def advance(record: SQSRecord) -> None:
        job_id = str(json.loads(record.body)["job_id"])
        set_correlation_id(job_id)
        job = services.erasure.advance(job_id, services.clock.now() + budget)
        logger.info(
            "erasure advanced",
            extra={
                "status": job.status.value,
                "records_scanned": job.scanned,
                "records_changed": job.records_changed,
            },
        )

    return process_batch(event, advance, "erasure")


def _work_seconds(context: Any) -> float:
    """Three quarters of what is left of the invocation, and at most :data:`WORK_SECONDS`."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return WORK_SECONDS
    seconds = float(remaining()) / 1000
    return max(0.0, min(WORK_SECONDS, seconds * (1 - _SPARE)))
