"""Delivery events (SES, SNS SMS status, End User Messaging) from the delivery-events topic, and
SNS SMS delivery status from CloudWatch Logs (SNS writes it nowhere else).

Both are asynchronous invocations: a transient failure raises, so Lambda retries and then hands
the event to the dead-letter queue; an event Tocsin cannot read is logged (without its content,
which names addresses) and dropped.
"""

from __future__ import annotations

from typing import Any

from chalice.app import SNSEvent

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.json_text import UnreadableJson, read_json
from chalicelib.core.messaging.receipts import DeliveryReport, parse_delivery
from chalicelib.handlers import EdgeBlueprint, sns_message_id
from chalicelib.integrations.sns_sms_logs import read_sms_status_logs
from chalicelib.observability import logger, set_correlation_id
from chalicelib.settings import DELIVERY_TOPIC, bound_name
from chalicelib.wiring import container

delivery = EdgeBlueprint(__name__)


@delivery.on_sns_message(topic=bound_name(DELIVERY_TOPIC))
def track_deliveries(event: SNSEvent) -> None:
    set_correlation_id(sns_message_id(event))
    try:
        report = parse_delivery(read_json(event.message))
    except (InvalidEvent, UnreadableJson) as error:
        logger.warning("delivery event not readable; dropped", extra={"error": str(error)[:200]})
        return
    if report is not None:
        _record(report)


@delivery.lambda_function(name="track_sms_status")
def track_sms_status(event: dict[str, Any], context: Any) -> None:
    """A subscription filter on SNS's SMS delivery-status log groups invokes this (infra/)."""
    try:
        batch = read_sms_status_logs(event)
    except InvalidEvent as error:
        logger.warning("SMS status logs not readable; dropped", extra={"error": str(error)[:200]})
        return
    if batch.unreadable:
        logger.warning("SMS status log lines skipped", extra={"skipped": batch.unreadable})
    for report in batch.reports:
        _record(report)


def _record(report: DeliveryReport) -> None:
    tracked = container().tracker.record(report)
    if tracked.incident_id:
        set_correlation_id(tracked.incident_id)
    logger.info(
        "delivery recorded" if tracked.known else "delivery event for an unknown message",
        extra={
            "status": report.status.value,
            "source": report.source,
            "message_id": report.message_id,
            "marked_unusable": tracked.marked_unusable,
        },
    )
