"""A faithful stand-in for the AWS End User Messaging SMS and voice API (pinpoint-sms-voice-v2),
which moto does not implement.

One pure request handler answers the JSON 1.0 protocol (``X-Amz-Target:
PinpointSMSVoiceV2.<Operation>``) with AWS's response and error shapes; the local server and the
in-process test hook both call it. It records every accepted message in the outbox.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from local.outbox import Outbox

TARGET_PREFIX = "PinpointSMSVoiceV2."
_E164 = re.compile(r"\+[1-9]\d{7,14}")
MAX_TEXT_LENGTH = 1600
MAX_VOICE_LENGTH = 6000


@dataclass(frozen=True)
class StandInResponse:
    status: int
    body: dict[str, Any]

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode()

    @property
    def headers(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", "application/x-amz-json-1.0"),
                   ("x-amzn-RequestId", str(uuid.uuid4()))]
        if self.status >= 400:
            headers.append(("x-amzn-ErrorType", self.body["__type"]))
        return headers


def _error(kind: str, message: str, status: int = 400, **extra: Any) -> StandInResponse:
    return StandInResponse(status, {"__type": kind, "message": message, **extra})


def _validation(message: str, field: str) -> StandInResponse:
    return _error("ValidationException", message, Reason="FIELD_VALIDATION_FAILED",
                  Fields=[{"Name": field, "Message": message}])


class MessagingStandIn:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def handle(self, target: str, body: bytes) -> StandInResponse:
        operation = target.removeprefix(TARGET_PREFIX)
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error("SerializationException", "request body is not JSON")
        if operation == "SendTextMessage":
            return self._send(request, "sms", "MessageBody", MAX_TEXT_LENGTH)
        if operation == "SendVoiceMessage":
            return self._send(request, "voice", "MessageBody", MAX_VOICE_LENGTH)
        return _error("UnknownOperationException", f"{operation} is not served by the stand-in")

    def _send(
        self, request: dict[str, Any], channel: str, body_field: str, limit: int
    ) -> StandInResponse:
        destination = request.get("DestinationPhoneNumber")
        if not isinstance(destination, str) or not _E164.fullmatch(destination):
            return _validation("DestinationPhoneNumber must be E.164", "DestinationPhoneNumber")
        text = request.get(body_field) or ""
        if len(text) > limit:
            return _validation(f"{body_field} must be at most {limit} characters", body_field)
        if channel == "voice" and not request.get("OriginationIdentity"):
            return _validation("OriginationIdentity is required", "OriginationIdentity")
        message_id = str(uuid.uuid4())
        context = request.get("Context") or {}
        self._outbox.record(
            channel=channel,
            api=f"pinpoint-sms-voice-v2:{'SendTextMessage' if channel == 'sms' else 'SendVoiceMessage'}",
            destination=destination, body=text, message_id=message_id,
            incident_id=context.get("incident_id"),
        )
        return StandInResponse(200, {"MessageId": message_id})
