"""SQS edges: the ingest queue feeds the evaluator, the dispatch queue feeds the dispatcher.

Every record of a batch is processed; if any failed, the handler raises at the end so Lambda
returns the whole batch to the queue. That is safe because both steps are idempotent (the
evaluator's writes are conditional, the dispatcher claims each send in the ledger), and it
works whatever the event source mapping's response types are. A message that keeps failing
reaches the dead-letter queue through the queue's redrive policy: nothing is dropped here.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Blueprint, SQSEvent, SQSRecord

from chalicelib.core.errors import TransientError
from chalicelib.core.model import DecisionOutcome
from chalicelib.core.queue_messages import decode_jobs, decode_received
from chalicelib.observability import logger
from chalicelib.settings import DISPATCH_QUEUE, INGEST_QUEUE, bound_name
from chalicelib.wiring import container

queues = Blueprint(__name__)
DROPIN_FORMATS = ("pagerduty", "opsgenie")  # formats whose triggers name their sender


class BatchIncomplete(Exception):
    """Some records of the batch must be retried; the rest were processed."""


@queues.on_sqs_message(queue=bound_name(INGEST_QUEUE), batch_size=10)
def evaluate_events(event: SQSEvent) -> None:
    services = container()

    def decide(record: SQSRecord) -> bool:
        received = decode_received(record.body)
        logger.set_correlation_id(received.event_id)
        decision = services.evaluator.handle(received)
        if (
            decision.outcome is DecisionOutcome.ACTIVATED
            and decision.incident_id is not None
            and received.format in DROPIN_FORMATS
        ):
            # The incident is its sender's: their change events reach it (keyed: no doubles).
            services.change_log.incident_opened(decision.incident_id)
        logger.info(
            "event decided",
            extra={
                "outcome": decision.outcome.value,
                "reason": decision.reason,
                "incident_id": decision.incident_id,
                "notifications": decision.notifications,
            },
        )
        return True

    process_batch(event, decide, "event")


@queues.on_sqs_message(queue=bound_name(DISPATCH_QUEUE), batch_size=10)
def dispatch_notifications(event: SQSEvent) -> None:
    services = container()

    def dispatch(record: SQSRecord) -> bool:
        incident_id, jobs = decode_jobs(record.body)
        logger.set_correlation_id(incident_id)
        report = services.dispatcher.dispatch(incident_id, jobs)
        logger.info(
            "notifications dispatched",
            extra={
                "sent": report.sent,
                "failed": report.failed,
                "skipped": report.skipped,
                "to_retry": len(report.retry),
            },
        )
        return not report.needs_retry

    process_batch(event, dispatch, "dispatch")


def process_batch(event: SQSEvent, handle: Callable[[SQSRecord], bool], what: str) -> None:
    """Run ``handle`` on every record; raise at the end if any returned False or failed."""
    failed = 0
    for record in event:
        ids = {"sqs_message_id": str(record.to_dict().get("messageId", ""))}
        try:
            if not handle(record):
                failed += 1
        except TransientError as error:
            failed += 1
            logger.warning(
                f"{what} incomplete; it will be retried", extra={**ids, "error": str(error)}
            )
        except Exception:
            failed += 1
            logger.exception(f"{what} failed; it will be retried", extra=ids)
    if failed:
        raise BatchIncomplete(f"{failed} {what} message(s) of the batch must be retried")
