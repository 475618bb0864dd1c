"""SQS edges: the ingest queue feeds the evaluator, the dispatch queue feeds the dispatcher.

Every record of a batch is processed, and only the records that failed go back to the queue:
the handlers answer with SQS partial batch responses (``batchItemFailures``), which the event
source mappings are configured to read (``ReportBatchItemFailures``, in ``infra/``), as the
local runner does. Returning a record is safe because both steps are idempotent (the
evaluator's writes are conditional, the dispatcher claims each send in the ledger). A message
that keeps failing reaches the dead-letter queue through the queue's redrive policy: nothing is
dropped here. At a message's last receive the failure is recorded where it is read: an event
that cannot be decided is marked ``failed`` with the reason, never left ``pending``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import SQSEvent, SQSRecord

from chalicelib.core.checkpoints import RECORD_DONE, checkpoint
from chalicelib.core.errors import TransientError
from chalicelib.core.model import DecisionOutcome
from chalicelib.core.queue_messages import decode_jobs, decode_received
from chalicelib.core.redaction import redact
from chalicelib.handlers import EdgeBlueprint
from chalicelib.observability import log_dispatched, logger, set_correlation_id
from chalicelib.settings import DISPATCH_QUEUE, INGEST_QUEUE, bound_name
from chalicelib.wiring import container

queues = EdgeBlueprint(__name__)
DROPIN_FORMATS = ("pagerduty", "opsgenie")  # formats whose triggers name their sender

BatchResponse = dict[str, list[dict[str, str]]]
LastTry = Callable[[SQSRecord, str], None]  # (record, why it failed) at its last receive
MAX_REASON = 500


@queues.on_sqs_message(queue=bound_name(INGEST_QUEUE), batch_size=10)
def evaluate_events(event: SQSEvent) -> BatchResponse:
    services = container()

    def decide(record: SQSRecord) -> None:
        received = decode_received(record.body)
        set_correlation_id(received.event_id)
        decision = services.evaluator.handle(received, first_delivery(record))
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

    def give_up(record: SQSRecord, why: str) -> None:
        received = decode_received(record.body)  # an unreadable message names no event
        if services.evaluator.give_up(received.event_id, why):
            logger.error(
                "event not decided; marked failed",
                extra={"event_id": received.event_id, "reason": why},
            )

    return process_batch(event, decide, "event", give_up)


@queues.on_sqs_message(queue=bound_name(DISPATCH_QUEUE), batch_size=10)
def dispatch_notifications(event: SQSEvent) -> BatchResponse:
    services = container()

    def dispatch(record: SQSRecord) -> None:
        incident_id, jobs = decode_jobs(record.body)
        set_correlation_id(incident_id)
        report = services.dispatcher.dispatch(incident_id, jobs)
        log_dispatched(incident_id, report)
        if report.needs_retry:
            raise TransientError(f"{len(report.retry)} notification(s) of the message to retry")

    return process_batch(event, dispatch, "dispatch")


def process_batch(
    event: SQSEvent,
    handle: Callable[[SQSRecord], None],
    what: str,
    last_try: LastTry | None = None,
) -> BatchResponse:
    """Run ``handle`` on every record; those that raised are the batch item failures, which
    SQS makes visible again (the others are deleted). A record that fails on its last receive
    (the queue's maxReceiveCount) is handed to ``last_try`` with the reason, before SQS moves
    it to the dead-letter queue."""
    failures: list[dict[str, str]] = []
    last_receive = container().settings.max_receive_count
    for record in event:
        message_id = message_id_of(record)
        ids = {"sqs_message_id": message_id}
        # Each record's lines carry its own id: the SQS message's until ``handle`` reads the
        # event or incident id in it.
        set_correlation_id(message_id or None)
        try:
            handle(record)
            checkpoint(RECORD_DONE)
        except Exception as error:
            failures.append({"itemIdentifier": message_id})
            if isinstance(error, TransientError):
                logger.warning(
                    f"{what} incomplete; it will be retried", extra={**ids, "error": str(error)}
                )
            else:
                logger.exception(f"{what} failed; it will be retried", extra=ids)
            receives = receive_count(record)
            why = f"{failure_reason(error)} (tried {receives} times)"
            _note_failure(record, message_id, why, receives)
            if last_try is not None and receives >= last_receive:
                try:
                    last_try(record, why)
                except Exception:
                    logger.exception(f"{what}: its last failure could not be recorded", extra=ids)
    return {"batchItemFailures": failures}


def _note_failure(record: SQSRecord, message_id: str, why: str, receives: int) -> None:
    """Keep why the message failed, by its id, for ``tocsin dlq show`` (queues keep no reason).
    Best effort: when DynamoDB is what failed, this fails too, and the log line says so."""
    queue = str(record.to_dict().get("eventSourceARN", "")).rsplit(":", 1)[-1]
    try:
        container().record_failure(queue, message_id, why, receives)
    except Exception:
        logger.exception("the failure could not be recorded", extra={"sqs_message_id": message_id})


def message_id_of(record: SQSRecord) -> str:
    raw: dict[str, Any] = record.to_dict()
    return str(raw.get("messageId", ""))


def first_delivery(record: SQSRecord) -> bool:
    """SQS hands this message out for the first time (said so: an unknown count is not)."""
    return _receives(record) == 1


def receive_count(record: SQSRecord) -> int:
    """How often SQS has handed this message out (1 the first time)."""
    return _receives(record) or 1


def _receives(record: SQSRecord) -> int | None:
    """SQS's ``ApproximateReceiveCount``; None when the record does not say."""
    attributes = record.to_dict().get("attributes") or {}
    try:
        return int(attributes["ApproximateReceiveCount"])
    except (KeyError, TypeError, ValueError):
        return None


def failure_reason(error: Exception) -> str:
    """What went wrong, for people to read later: the kind of error and its message, with
    anything that looks like personal data or a secret masked, and kept short."""
    return redact(f"{type(error).__name__}: {error}")[:MAX_REASON]
