"""SNS SMS delivery status from a CloudWatch Logs subscription, read into delivery reports.

The payload's shape is the one CloudWatch Logs documents for Lambda subscription filters
("Using CloudWatch Logs subscription filters", Example 2: base64 of gzip-compressed JSON); the
messages are the records SNS writes to ``sns/<region>/<account>/DirectPublishToPhoneNumber``.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.messaging.receipts import DeliveryStatus
from chalicelib.integrations.sns_sms_logs import (
    decode_subscription_data,
    is_log_subscription_event,
    read_sms_status_logs,
)
from tests.conftest import load_event


def subscription_event(payload: Any) -> dict[str, Any]:
    """What Lambda receives: the payload gzip-compressed, then base64-encoded."""
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def test_success_and_failure_records_become_reports_in_log_order() -> None:
    batch = read_sms_status_logs(
        subscription_event(load_event("cloudwatch-logs-sns-sms-status.json"))
    )
    assert batch.unreadable == 0
    assert batch.log_group.endswith("/DirectPublishToPhoneNumber")
    delivered, failed = batch.reports
    assert (delivered.message_id, delivered.status, delivered.source) == (
        "34d9b400-c6dd-5444-820d-fbeb0f1f54cf",
        DeliveryStatus.DELIVERED,
        "sns-sms",
    )
    assert (failed.status, failed.detail, failed.unusable) == (
        DeliveryStatus.FAILED,
        "Invalid phone number",
        True,
    )


def test_reports_never_carry_the_destination_number() -> None:
    batch = read_sms_status_logs(
        subscription_event(load_event("cloudwatch-logs-sns-sms-status.json"))
    )
    assert "+1202555014" not in repr(batch)


def test_other_lines_are_skipped_and_counted() -> None:
    payload = load_event("cloudwatch-logs-sns-sms-status.json")
    payload["logEvents"] += [
        {"id": "1", "timestamp": 1, "message": "not json"},
        {"id": "2", "timestamp": 2, "message": json.dumps({"something": "else"})},
        {"id": "3", "timestamp": 3, "message": json.dumps({"notification": {}, "status": "X"})},
        {"id": "4", "timestamp": 4},
    ]
    batch = read_sms_status_logs(subscription_event(payload))
    assert (len(batch.reports), batch.unreadable) == (2, 4)


def test_the_control_message_that_starts_a_subscription_carries_nothing() -> None:
    control = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking"}],
    }
    assert read_sms_status_logs(subscription_event(control)).reports == ()


@pytest.mark.parametrize(
    "event",
    [
        {"Records": []},
        {"awslogs": {}},
        {"awslogs": {"data": "not base64!"}},
        {"awslogs": {"data": base64.b64encode(b"not gzip").decode()}},
        {"awslogs": {"data": base64.b64encode(gzip.compress(b"[1, 2]")).decode()}},
        subscription_event({"messageType": "DATA_MESSAGE", "logEvents": "x"}),
    ],
)
def test_a_payload_that_cannot_be_decoded_is_an_invalid_event(event: Any) -> None:
    with pytest.raises(InvalidEvent):
        read_sms_status_logs(event)


def test_only_subscription_payloads_are_recognised() -> None:
    assert is_log_subscription_event(subscription_event({}))
    assert not is_log_subscription_event({"Records": [{"Sns": {}}]})
    assert decode_subscription_data(subscription_event({"a": 1})) == {"a": 1}
