"""AWS's own alarms and findings: an EventBridge rule, and CloudWatch alarms through SNS.

Both are asynchronous invocations: a transient failure raises, so Lambda retries and then hands
the event to the function's dead-letter queue; an event Tocsin cannot read is logged and dropped
(retrying would not make it readable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import CloudWatchEvent, SNSEvent

from chalicelib.core.activation.intake import Sender
from chalicelib.core.errors import InvalidEvent
from chalicelib.handlers import EdgeBlueprint, sns_message_id
from chalicelib.integrations.aws import EVENT_PATTERN, from_eventbridge, from_sns_alarm
from chalicelib.integrations.common import Document, IntegrationDefaults
from chalicelib.observability import logger, set_correlation_id
from chalicelib.settings import ALARMS_TOPIC, bound_name
from chalicelib.wiring import container

cloud = EdgeBlueprint(__name__)
# EventBridge and the alarms topic share one namespace: an alarm keys on its ARN whichever way
# it arrives, so an ALARM over SNS and an OK over EventBridge meet on one incident. Only AWS
# (through the function's own triggers) can send here.
AWS_SENDER = Sender(namespace="aws")


@cloud.on_cw_event(EVENT_PATTERN)
def receive_aws_events(event: CloudWatchEvent) -> None:
    payload = event.to_dict()
    set_correlation_id(event.event_id)  # EventBridge's id, until Tocsin's event ids exist
    _ingest("eventbridge", lambda: from_eventbridge(payload, IntegrationDefaults()), payload)


@cloud.on_sns_message(topic=bound_name(ALARMS_TOPIC))
def receive_alarm_messages(event: SNSEvent) -> None:
    set_correlation_id(sns_message_id(event))
    _ingest(
        "cloudwatch-sns",
        lambda: from_sns_alarm(event.message, IntegrationDefaults()),
        event.message,
    )


def _ingest(kind: str, adapt: Callable[[], list[Document]], original: Any) -> None:
    try:
        documents = adapt()
        if not documents:
            logger.info("nothing to do for this state change", extra={"integration": kind})
            return
        received = container().ingest.accept_many(
            documents, AWS_SENDER, format=kind, original=original
        )
    except InvalidEvent as error:
        logger.warning(
            "event not readable; dropped",
            extra={"integration": kind, "field": error.field, "error": error.message},
        )
        return
    if len(received) == 1:
        set_correlation_id(received[0].event_id)
    logger.info(
        "cloud events accepted",
        extra={"integration": kind, "event_ids": [item.event_id for item in received]},
    )
