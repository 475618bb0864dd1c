"""SNS SMS delivery status, as a CloudWatch Logs subscription hands it to a function.

SNS writes the delivery status of SMS published to phone numbers only to CloudWatch Logs, in
``sns/<region>/<account>/DirectPublishToPhoneNumber`` (and ``.../Failure``), once the account's
``DeliveryStatusIAMRole`` SMS attribute is set. A subscription filter on those log groups invokes
Lambda with ``{"awslogs": {"data": base64(gzip(json))}}``; each log event's message is the
document SNS logs (``notification.messageId``, ``delivery.providerResponse``, ``status``), which
:func:`chalicelib.core.messaging.receipts.parse_delivery` already reads. Pure: no AWS call.

The messages name the destination number: nothing here logs or keeps them.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.json_text import read_json
from chalicelib.core.messaging.receipts import DeliveryReport, parse_delivery

# CloudWatch Logs sends one CONTROL_MESSAGE when a subscription starts, to check the target.
DATA_MESSAGE = "DATA_MESSAGE"


@dataclass(frozen=True)
class SmsStatusBatch:
    reports: tuple[DeliveryReport, ...]
    unreadable: int = 0  # log events that were not SNS SMS delivery status (skipped)
    log_group: str = ""


def is_log_subscription_event(event: Any) -> bool:
    return isinstance(event, Mapping) and isinstance(event.get("awslogs"), Mapping)


def decode_subscription_data(event: Any) -> dict[str, Any]:
    """The payload CloudWatch Logs compressed and encoded into ``awslogs.data``."""
    if not is_log_subscription_event(event):
        raise InvalidEvent("awslogs", "not a CloudWatch Logs subscription event")
    data = event["awslogs"].get("data")
    if not isinstance(data, str) or not data:
        raise InvalidEvent("awslogs.data", "is required")
    try:
        payload = read_json(gzip.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent("awslogs.data", "must be base64 of gzip-compressed JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidEvent("awslogs.data", "must hold a JSON object")
    return payload


def read_sms_status_logs(event: Any) -> SmsStatusBatch:
    """The delivery reports in one subscription invocation, in log order.

    A log event that is not an SNS SMS delivery status (another line in the group, a record in
    an unknown shape) is counted as unreadable and skipped, so one odd line does not lose the
    others; a payload that cannot be decoded at all raises InvalidEvent.
    """
    payload = decode_subscription_data(event)
    log_group = str(payload.get("logGroup") or "")
    if payload.get("messageType") != DATA_MESSAGE:
        return SmsStatusBatch((), 0, log_group)
    events = payload.get("logEvents")
    if not isinstance(events, list):
        raise InvalidEvent("awslogs.data.logEvents", "must be a list")
    reports: list[DeliveryReport] = []
    unreadable = 0
    for log_event in events:
        report = _report(log_event)
        if report is None:
            unreadable += 1
        else:
            reports.append(report)
    return SmsStatusBatch(tuple(reports), unreadable, log_group)


def _report(log_event: Any) -> DeliveryReport | None:
    if not isinstance(log_event, Mapping) or not isinstance(log_event.get("message"), str):
        return None
    try:
        document = read_json(log_event["message"])
    except ValueError:
        return None
    if not isinstance(document, Mapping) or "notification" not in document:
        return None
    try:
        return parse_delivery(document)
    except InvalidEvent:
        return None
