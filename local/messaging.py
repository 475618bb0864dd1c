"""A faithful stand-in for the AWS End User Messaging SMS and voice API (pinpoint-sms-voice-v2)
and Pinpoint's ``SendMessages`` for push, which moto does not implement.

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
PUSH_PATH = re.compile(r"/v1/apps/([^/]+)/messages")
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
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        if self.status >= 400:
            headers.append(("x-amzn-ErrorType", self.body["__type"]))
        return headers


def _error(kind: str, message: str, status: int = 400, **extra: Any) -> StandInResponse:
    return StandInResponse(status, {"__type": kind, "message": message, **extra})


def _validation(message: str, field: str) -> StandInResponse:
    return _error(
        "ValidationException",
        message,
        Reason="FIELD_VALIDATION_FAILED",
        Fields=[{"Name": field, "Message": message}],
    )


class MessagingStandIn:
    """``opt_out(number)`` makes sends to it fail as AWS does (ConflictException,
    DESTINATION_PHONE_NUMBER_OPTED_OUT); ``throttle_next(n)`` fails the next n sends with
    ThrottlingException, as an account over its messages-per-second quota sees."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._opted_out: set[str] = set()
        self._throttled = 0

    def handle_push(self, path: str, body: bytes) -> StandInResponse:
        """Pinpoint ``SendMessages`` with device addresses. A token that starts with ``bad``
        is refused as AWS refuses an expired or unknown token (PERMANENT_FAILURE)."""
        match = PUSH_PATH.fullmatch(path)
        if match is None:
            return _error("NotFoundException", "Resource not found", status=404)
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error("BadRequestException", "request body is not JSON")
        addresses = request.get("Addresses") or {}
        if not addresses or len(addresses) > 100:
            return _error("BadRequestException", "Addresses must hold 1 to 100 entries")
        config = request.get("MessageConfiguration") or {}
        context = request.get("Context") or {}
        results = {}
        for token, address in addresses.items():
            kind = address.get("ChannelType")
            message = config.get("APNSMessage" if str(kind).startswith("APNS") else "GCMMessage")
            if kind not in ("APNS", "APNS_SANDBOX", "GCM") or not message:
                results[token] = {
                    "DeliveryStatus": "PERMANENT_FAILURE",
                    "StatusCode": 400,
                    "StatusMessage": "no message for this channel type",
                }
                continue
            if token.startswith("bad"):
                results[token] = {
                    "DeliveryStatus": "PERMANENT_FAILURE",
                    "StatusCode": 410,
                    "StatusMessage": "Unregistered device token",
                }
                continue
            message_id = str(uuid.uuid4())
            self._outbox.record(
                channel="push",
                api="pinpoint:SendMessages",
                destination=f"{kind}:{token[:6]}…",
                # Per-address overrides, as SendMessages applies them.
                body=str(address.get("BodyOverride") or message.get("Body", "")),
                subject=address.get("TitleOverride") or message.get("Title"),
                message_id=message_id,
                incident_id=(address.get("Context") or {}).get("incident_id")
                or context.get("incident_id"),
            )
            results[token] = {
                "DeliveryStatus": "SUCCESSFUL",
                "StatusCode": 200,
                "MessageId": message_id,
            }
        return StandInResponse(
            200,
            {"ApplicationId": match.group(1), "RequestId": str(uuid.uuid4()), "Result": results},
        )

    def opt_out(self, number: str) -> None:
        self._opted_out.add(number)

    def throttle_next(self, sends: int) -> None:
        self._throttled = sends

    def handle(self, target: str, body: bytes) -> StandInResponse:
        operation = target.removeprefix(TARGET_PREFIX)
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return _error("SerializationException", "request body is not JSON")
        if operation == "SendTextMessage":
            return self._send(request, operation, "sms", MAX_TEXT_LENGTH)
        if operation == "SendVoiceMessage":
            return self._send(request, operation, "voice", MAX_VOICE_LENGTH)
        return _error("UnknownOperationException", f"{operation} is not served by the stand-in")

    def _send(
        self, request: dict[str, Any], operation: str, channel: str, limit: int
    ) -> StandInResponse:
        body_field = "MessageBody"
        destination = request.get("DestinationPhoneNumber")
        if not isinstance(destination, str) or not _E164.fullmatch(destination):
            return _validation("DestinationPhoneNumber must be E.164", "DestinationPhoneNumber")
        text = request.get(body_field) or ""
        if len(text) > limit:
            return _validation(f"{body_field} must be at most {limit} characters", body_field)
        if channel == "voice" and not request.get("OriginationIdentity"):
            return _validation("OriginationIdentity is required", "OriginationIdentity")
        is_ssml = channel == "voice" and request.get("MessageBodyTextType") == "SSML"
        if is_ssml and not (text.startswith("<speak>") and text.rstrip().endswith("</speak>")):
            return _validation("SSML must be enclosed in <speak>", body_field)
        if self._throttled:
            self._throttled -= 1
            return _error("ThrottlingException", "Rate exceeded")
        if destination in self._opted_out:
            return _error(
                "ConflictException",
                "The destination phone number is opted out.",
                Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                ResourceType="opt-out-list",
                ResourceId="Default",
            )
        message_id = str(uuid.uuid4())
        context = request.get("Context") or {}
        self._outbox.record(
            channel=channel,
            api=f"pinpoint-sms-voice-v2:{operation}",
            destination=destination,
            body=text,
            message_id=message_id,
            incident_id=context.get("incident_id"),
        )
        return StandInResponse(200, {"MessageId": message_id})


def install_in_process(client: Any, standin: MessagingStandIn) -> None:
    """Answer a boto3 ``pinpoint-sms-voice-v2`` client's calls with ``standin``, in-process
    (tests and benchmarks), the way moto answers the services it knows."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    class _Raw:
        def __init__(self, body: bytes) -> None:
            self._body = body

        def stream(self, **_: Any) -> Any:
            yield self._body

    def before_send(request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if target:
            answer = standin.handle(target, request.body or b"")
        else:
            from urllib.parse import urlsplit

            answer = standin.handle_push(urlsplit(request.url).path, request.body or b"")
        body = answer.encoded()
        headers = HTTPHeaders()
        for name, value in answer.headers:
            headers[name] = value
        return AWSResponse(request.url, answer.status, headers, _Raw(body))

    service = client.meta.service_model.service_name
    client.meta.events.register_first(f"before-send.{service}", before_send)
