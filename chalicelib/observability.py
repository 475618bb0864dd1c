"""Logs and metrics, wired once, and the middleware that frames every invocation with them.

- Logs: Powertools structured JSON, with personal data masked on the way out.
- Metrics: the figures of :mod:`chalicelib.core.telemetry`, collected during an invocation and
  written at its end in CloudWatch's embedded metric format (Powertools Metrics), one line per
  dimension value, so CloudWatch turns them into metrics without an API call.
- :func:`observe_invocation`: Chalice middleware for every handler (HTTP routes, SQS, SNS,
  EventBridge, schedules). At the start, every log line gets the Lambda request id, the
  cold-start flag and a correlation id; at the end, the metrics are written and those keys are
  cleared, so a warm function never logs a request under an earlier one's ids.

The invocation's keys are context-local (Powertools' thread-safe keys): where one process runs
several handlers at once (the local stack), each keeps its own.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import EphemeralMetrics

from chalicelib.core.redaction import redact
from chalicelib.core.telemetry import NAMESPACE, SERVICE, STAGE_DIMENSION, Figure, Unit
from chalicelib.settings import LOCAL_STAGE, STAGE

if TYPE_CHECKING:
    from chalicelib.core.messaging.dispatch_report import DispatchReport


class RedactingFormatter(LambdaPowertoolsFormatter):
    """The last line of defence: whatever a log call carries, numbers and addresses are masked.

    The first line is not logging personal data at all: log contact ids, never contacts.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
_HANDLER = logger.registered_handler  # the redacting one
_LEVEL = logger.log_level  # as Powertools set it (POWERTOOLS_LOG_LEVEL)


def adopt_chalice_log(log: logging.Logger) -> None:
    """Chalice's own logger (``app.log``, where it writes the tracebacks of unhandled errors) is
    named after the app, ``tocsin``: it is this logger. Chalice configures it (level ERROR, a
    plain-text handler) unless it sees a handler on the ``sys.stdout`` of that moment, which is
    not so wherever stdout was replaced in between (test runners). Keep Powertools' redacting
    handler and level on it, and only those: nothing logged unmasked, nothing dropped."""
    for handler in list(log.handlers):
        if handler is not _HANDLER and type(handler) is logging.StreamHandler:
            log.removeHandler(handler)
    if _HANDLER not in log.handlers:
        log.addHandler(_HANDLER)
    log.setLevel(_LEVEL)


class EmfMeter:
    """Implements the core's ``Meter``: figures collected in memory, written by :meth:`flush`.

    Counts are summed per invocation; durations are kept one value each (CloudWatch computes
    percentiles from them). A figure with a dimension is published twice from one line: per
    value (``channel=sms``) and in total (``service``, ``stage`` only), so alarms can watch the
    total without metric math.
    """

    def __init__(self, namespace: str = NAMESPACE, service: str = SERVICE) -> None:
        self.namespace = namespace
        self.service = service
        self._lock = threading.Lock()
        # Per dimension and value (None: figures without one): each figure's values.
        self._pending: dict[tuple[str, str] | None, dict[Figure, list[float]]] = {}

    def record(self, figure: Figure, value: float = 1, by: str | None = None) -> None:
        if (figure.dimension is None) != (by is None):
            raise ValueError(f"{figure.name} is recorded by {figure.dimension or 'nothing'}")
        key = (figure.dimension, by) if figure.dimension and by else None
        with self._lock:
            values = self._pending.setdefault(key, {}).setdefault(figure, [])
            if figure.unit is Unit.COUNT and values:
                values[0] += value  # a count is one sum, however many sends it counts
            else:
                values.append(float(value))

    def flush(self, stage: str) -> None:
        """Write everything recorded since the last flush (nothing when nothing was)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for key, figures in pending.items():
            output = EphemeralMetrics(namespace=self.namespace, service=self.service)
            output.add_dimension(STAGE_DIMENSION, stage)
            if key is not None:
                dimension, by = key
                output.add_dimensions(service=self.service, stage=stage, **{dimension: by})
            for figure, values in figures.items():
                for value in values:
                    output.add_metric(name=figure.name, unit=figure.unit.value, value=value)
            output.flush_metrics()


metrics = EmfMeter()

_cold_start = True


def set_correlation_id(value: str | None) -> None:
    """The id the next log lines of this invocation carry (an event, an incident...)."""
    logger.thread_safe_append_keys(correlation_id=value)


def correlation_id() -> str | None:
    return logger.thread_safe_get_current_keys().get("correlation_id")


def log_dispatched(incident_id: str, report: DispatchReport) -> None:
    """What one dispatch did, under its incident's id (the dispatch handler's line, and the
    evaluator's for the first batch it sends itself); the line's id is then put back."""
    before = correlation_id()
    set_correlation_id(incident_id)
    logger.info(
        "notifications dispatched",
        extra={
            "sent": report.sent,
            "failed": report.failed,
            "skipped": report.skipped,
            "to_retry": len(report.retry),
            # Sent again though an earlier attempt may have reached AWS (on the timeline).
            "unknown_outcomes": report.unknown_outcomes,
            "requeued": report.requeued,  # another invocation is sending them: back in a while
        },
    )
    set_correlation_id(before)


def observe_invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware (``app.register_middleware(observe_invocation, "all")``)."""
    global _cold_start  # one flag per Lambda instance: its first invocation is the cold one
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    cold, _cold_start = _cold_start, False
    request_id = getattr(context, "aws_request_id", None)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        cold_start=cold,
        function_name=getattr(context, "function_name", None),
        function_request_id=request_id,
        # Until the handler knows its event or incident: API Gateway's id for an HTTP
        # request (what a caller can quote), else Lambda's.
        correlation_id=_gateway_request_id(event) or request_id,
    )
    try:
        return get_response(event)
    finally:
        try:
            metrics.flush(os.environ.get(STAGE, LOCAL_STAGE))
        except Exception:  # figures must never fail the work they describe
            logger.exception("metrics could not be written")
        logger.thread_safe_clear_keys()


def _gateway_request_id(event: Any) -> str | None:
    context = getattr(event, "context", None)
    if isinstance(context, dict):  # a Chalice Request: API Gateway's requestContext
        value = context.get("requestId")
        return str(value) if value else None
    return None
