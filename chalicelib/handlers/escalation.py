"""The escalation tick, and replies to Tocsin's texts (two-way SMS through SNS)."""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Rate, SNSEvent

from chalicelib.core.errors import InvalidEvent, TransientError
from chalicelib.core.response.replies import parse_inbound_sms
from chalicelib.observability import logger
from chalicelib.settings import INBOUND_SMS_TOPIC, bound_name
from chalicelib.wiring import container

escalation = Blueprint(__name__)


@escalation.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_due_incidents(event: CloudWatchEvent) -> None:
    """Page the next level of every incident nobody acknowledged in time (within a minute of
    its deadline). Safe to overlap: each step moves on by a conditional write."""
    report = container().escalator.tick()
    if report.escalated:
        logger.info(
            "incidents escalated", extra={"incidents": report.escalated, "jobs": report.jobs}
        )
    if report.failed:
        # The next tick (a minute later) tries them again; the errors alarm says it happened.
        raise TransientError(f"{len(report.failed)} incident(s) not escalated yet: {report.failed}")


@escalation.on_sns_message(topic=bound_name(INBOUND_SMS_TOPIC))
def answer_sms_replies(event: SNSEvent) -> None:
    try:
        sms = parse_inbound_sms(event.message)
    except InvalidEvent as error:
        # Not something End User Messaging sends: keep it out of the retry loop.
        logger.warning("inbound SMS ignored", extra={"field": error.field, "error": error.message})
        return
    outcome = container().inbound.handle(sms)
    # The number and the text are personal data: only ids and the intent are logged.
    logger.info(
        "inbound SMS handled",
        extra={
            "intent": outcome.intent,
            "contact_id": outcome.contact_id,
            "incident_id": outcome.incident_id,
            "answered": outcome.answer is not None,
        },
    )
    if outcome.withheld:
        # A loop with an auto-responder, most likely: silence until the next hour.
        logger.warning(
            "inbound SMS not answered: the number had its answers this hour",
            extra={"intent": outcome.intent, "contact_id": outcome.contact_id},
        )
