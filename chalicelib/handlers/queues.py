"""SQS edges: the ingest queue feeds the evaluator, the dispatch queue feeds the dispatcher.

Every record of a batch is processed; if any failed, the handler raises at the end so Lambda
returns the whole batch to the queue. That is safe because both steps are idempotent (the
evaluator's writes are conditional, the dispatcher claims each send in the ledger), and it
works whatever the event source mapping's response types are. A message that keeps failing
reaches the dead-letter queue through the queue's redrive policy: nothing is dropped here.
"""

from __future__ import annotations

from chalice.app import Blueprint, SQSEvent, SQSRecord

from chalicelib.core.errors import TransientError
from chalicelib.observability import logger
from chalicelib.settings import DISPATCH_QUEUE_NAME, INGEST_QUEUE_NAME
from chalicelib.storage.queues import decode_jobs, decode_received
from chalicelib.wiring import container

queues = Blueprint(__name__)


class BatchIncomplete(Exception):
    """Some records of the batch must be retried; the rest were processed."""


@queues.on_sqs_message(queue=INGEST_QUEUE_NAME, batch_size=10)
def evaluate_events(event: SQSEvent) -> None:
    services = container()
    failed = 0
    for record in event:
        try:
            received = decode_received(record.body)
            logger.set_correlation_id(received.event_id)
            decision = services.evaluator.handle(received)
            logger.info(
                "event decided",
                extra={
                    "outcome": decision.outcome.value,
                    "reason": decision.reason,
                    "incident_id": decision.incident_id,
                    "notifications": decision.notifications,
                },
            )
        except TransientError as error:
            failed += 1
            logger.warning(
                "event not decided yet; it will be retried",
                extra={**_ids(record), "error": str(error)},
            )
        except Exception:
            failed += 1
            logger.exception("event not decided; it will be retried", extra=_ids(record))
    if failed:
        raise BatchIncomplete(f"{failed} of the batch's events must be retried")


@queues.on_sqs_message(queue=DISPATCH_QUEUE_NAME, batch_size=10)
def dispatch_notifications(event: SQSEvent) -> None:
    services = container()
    failed = 0
    for record in event:
        try:
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
            if report.needs_retry:
                failed += 1
        except TransientError as error:
            failed += 1
            logger.warning(
                "dispatch incomplete; it will be retried",
                extra={**_ids(record), "error": str(error)},
            )
        except Exception:
            failed += 1
            logger.exception("dispatch incomplete; it will be retried", extra=_ids(record))
    if failed:
        raise BatchIncomplete(f"{failed} of the batch's messages must be retried")


def _ids(record: SQSRecord) -> dict[str, str]:
    return {"sqs_message_id": str(record.to_dict().get("messageId", ""))}
