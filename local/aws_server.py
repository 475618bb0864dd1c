"""The local AWS endpoint on one port: moto server, plus what moto lacks, plus the outbox.

    GET    /_local/outbox   every message handed to SNS SMS, SES or End User Messaging, as JSON
    DELETE /_local/outbox   forget them
    POST   /_local/sms      {"from": "+1202...", "body": "1234 ACK"}: a text message from a phone,
                            published to the inbound-SMS topic as End User Messaging does
    GET    /_local/receipts which channels are silent, and how many receipts went out
    PUT    /_local/receipts {"silent": ["voice"]}: those channels take messages and never report
                            back (every other one reports each delivery, see local.receipts)
    GET    /_local/site/    the dark site from its bucket (index.html, feed.atom, status.json,
                            cap.xml), as CloudFront serves it (see local.site)
    /_local/slack/..., /_local/teams/..., /_local/mastodon/..., /_local/social
                            Slack, Teams and Mastodon stand-ins (local.social): each post is
                            in the outbox as slack, teams or mastodon
    X-Amz-Target: PinpointSMSVoiceV2.*   answered by local.messaging
    X-Amz-Target: DynamoDB*              moto, one request at a time (see below)
    everything else         moto; SNS Publish to a phone and SES v2 SendEmail are also recorded

moto's server answers each request in its own thread, and its DynamoDB backend is not safe
across threads: a write while ``TransactWriteItems`` (or a query or scan) iterated a table
raised ``RuntimeError: dictionary changed size during iteration`` and answered 500. DynamoDB
requests are therefore serialised by one lock; they are short, and moto's server tops out near
one core anyway. SQS is left concurrent: the runner's long polls would hold such a lock.

Run: ``python -m local.aws_server --port 5000`` (listens on 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sns.exceptions import SNSNotFoundError
from moto.sns.models import sns_backends
from werkzeug.serving import make_server

from chalicelib.settings import DEFAULT_BOUND_NAMES, INBOUND_SMS_TOPIC
from local import moto_fixes
from local.identity import LOCAL_NUMBER
from local.messaging import PUSH_PATH, TARGET_PREFIX, MessagingStandIn
from local.outbox import Outbox
from local.receipts import DeliveryReceipts, moto_topic
from local.site import SITE_PREFIX, serve_site
from local.social import SocialStandIn

StartResponse = Callable[..., Any]
_SNS_MESSAGE_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
LOCAL_REGION = "us-east-1"
DYNAMODB_TARGET_PREFIX = "DynamoDB"  # DynamoDB_20120810.* and DynamoDBStreams_20120810.*
INBOUND_TOPIC = DEFAULT_BOUND_NAMES[INBOUND_SMS_TOPIC]


RECEIPT_DELAY_SECONDS = 1.0


class LocalAwsApp:
    def __init__(
        self,
        moto_app: Callable[..., Iterable[bytes]],
        outbox: Outbox,
        receipts: DeliveryReceipts | None = None,
    ) -> None:
        self._moto = moto_app
        self.outbox = outbox
        self.receipts = receipts or DeliveryReceipts(moto_topic(), delay=RECEIPT_DELAY_SECONDS)
        outbox.listeners.append(self.receipts.handed_over)
        self._messaging = MessagingStandIn(outbox)
        self.social = SocialStandIn(outbox)
        self._dynamodb = threading.Lock()  # moto's DynamoDB: one request at a time

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_local/outbox":
            return self._outbox_endpoint(method, start_response)
        if path == "/_local/sms":
            return self._inbound_sms(method, _read_body(environ), start_response)
        if path == "/_local/receipts":
            return self._receipts_endpoint(method, _read_body(environ), start_response)
        if method == "GET" and (path == SITE_PREFIX or path.startswith(SITE_PREFIX + "/")):
            return serve_site(path, start_response)
        if SocialStandIn.handles(path):
            return self.social(environ, start_response)
        body = _read_body(environ)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            answer = self._messaging.handle(target, body)
            start_response(
                f"{answer.status} {'OK' if answer.status == 200 else 'Error'}", answer.headers
            )
            return [answer.encoded()]
        if method == "POST" and PUSH_PATH.fullmatch(path):
            answer = self._messaging.handle_push(path, body)
            start_response(
                f"{answer.status} {'OK' if answer.status == 200 else 'Error'}", answer.headers
            )
            return [answer.encoded()]
        if target.startswith(DYNAMODB_TARGET_PREFIX):
            with self._dynamodb:  # the whole answer is produced under the lock
                return list(self._moto(environ, start_response))
        recorder = self._recorder(method, path, body)
        if recorder is None:
            return self._moto(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured["status"] = status
            return start_response(status, headers, *rest)

        chunks = list(self._moto(environ, capture))
        if captured.get("status", "").startswith("200"):
            recorder(b"".join(chunks))
        return chunks

    def _outbox_endpoint(self, method: str, start_response: StartResponse) -> Iterable[bytes]:
        if method == "DELETE":
            self.outbox.clear()
        payload = json.dumps({"messages": self.outbox.messages()}, indent=2).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload]

    def _receipts_endpoint(
        self, method: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        def answer(status: str, document: dict[str, Any]) -> Iterable[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(document).encode()]

        if method == "GET":
            return answer("200 OK", self.receipts.state())
        if method != "PUT":
            return answer("405 Method Not Allowed", {"error": 'GET, or PUT {"silent": [...]}'})
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError as error:
            return answer("400 Bad Request", {"error": f"not JSON: {error.msg}"})
        silent = request.get("silent") if isinstance(request, dict) else None
        if not isinstance(silent, list) or not all(isinstance(c, str) for c in silent):
            return answer("400 Bad Request", {"error": 'silent: a list such as ["voice"]'})
        try:
            self.receipts.silence(silent)
        except ValueError as error:
            return answer("400 Bad Request", {"error": f"silent: {error}"})
        return answer("200 OK", self.receipts.state())

    def _inbound_sms(
        self, method: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        """What End User Messaging publishes when someone texts the organisation's number."""

        def answer(status: str, document: dict[str, Any]) -> Iterable[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(document).encode()]

        if method != "POST":
            return answer("405 Method Not Allowed", {"error": "POST a text message here"})
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError as error:
            return answer("400 Bad Request", {"error": f"not JSON: {error.msg}"})
        sender = request.get("from") if isinstance(request, dict) else None
        text = request.get("body") if isinstance(request, dict) else None
        if not isinstance(sender, str) or not _E164.fullmatch(sender):
            return answer("400 Bad Request", {"error": "from: a number such as +12025550101"})
        if not isinstance(text, str) or not text.strip() or len(text) > 1600:
            return answer("400 Bad Request", {"error": "body: the text, 1 to 1600 characters"})
        payload = {
            "originationNumber": sender,
            "destinationNumber": LOCAL_NUMBER,  # the number the person texted
            "messageKeyword": text.split()[0].upper(),
            "messageBody": text,
            "inboundMessageId": str(uuid.uuid4()),
        }
        replying_to = request.get("replying_to")
        if isinstance(replying_to, str) and replying_to:
            payload["previousPublishedMessageId"] = replying_to
        topic_arn = f"arn:aws:sns:{LOCAL_REGION}:{DEFAULT_ACCOUNT_ID}:{INBOUND_TOPIC}"
        backend = sns_backends[DEFAULT_ACCOUNT_ID][LOCAL_REGION]
        try:
            message_id = backend.publish(message=json.dumps(payload), arn=topic_arn)
        except SNSNotFoundError:
            return answer(
                "503 Service Unavailable",
                {"error": f"no topic {INBOUND_TOPIC} yet: is the local stack's runner up?"},
            )
        return answer("202 Accepted", {"message_id": message_id, "topic": topic_arn})

    def _recorder(self, method: str, path: str, body: bytes) -> Callable[[bytes], None] | None:
        """A function that records the request once AWS (moto) accepted it, or None."""
        if method == "POST" and path.rstrip("/") == "/v2/email/outbound-emails":
            return lambda response: self._record_email(body, response)
        if method == "POST" and b"Action=Publish" in body:
            form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
            if "PhoneNumber" in form or "TopicArn" in form:
                return lambda response: self._record_sns(form, response)
        return None

    def _record_sns(self, form: dict[str, str], response: bytes) -> None:
        """An SMS to a number, or a broadcast to a topic (the stakeholder statement)."""
        match = _SNS_MESSAGE_ID.search(response)
        self.outbox.record(
            channel=_sns_channel(form),
            api="sns:Publish",
            destination=form.get("PhoneNumber") or form["TopicArn"],
            subject=form.get("Subject"),
            body=form.get("Message", ""),
            message_id=match.group(1).decode() if match else "",
            incident_id=_sns_attribute(form, "tocsin.incident_id"),
        )

    def _record_email(self, body: bytes, response: bytes) -> None:
        request = json.loads(body)
        simple = request.get("Content", {}).get("Simple", {})
        tags = {tag["Name"]: tag["Value"] for tag in request.get("EmailTags", [])}
        message_id = json.loads(response or b"{}").get("MessageId", "")
        for address in request.get("Destination", {}).get("ToAddresses", []):
            self.outbox.record(
                channel="email",
                api="sesv2:SendEmail",
                destination=address,
                subject=simple.get("Subject", {}).get("Data"),
                body=simple.get("Body", {}).get("Text", {}).get("Data", ""),
                message_id=message_id,
                incident_id=tags.get("incident_id"),
            )


def _sns_channel(form: dict[str, str]) -> str:
    """An SMS to a number; Tocsin's operations topic; or the stakeholder broadcast."""
    if "PhoneNumber" in form:
        return "sms"
    return "operations" if form.get("TopicArn", "").endswith("-operations") else "broadcast"


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so moto can read it too."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _sns_attribute(form: dict[str, str], name: str) -> str | None:
    for key, value in form.items():
        if key.startswith("MessageAttributes.entry.") and key.endswith(".Name") and value == name:
            return form.get(key.removesuffix(".Name") + ".Value.StringValue")
    return None


def build_app() -> LocalAwsApp:
    moto_fixes.apply()  # TransactWriteItems copies each table once, not once an action
    return LocalAwsApp(DomainDispatcherApplication(create_backend_app), Outbox())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log: the runner polls
    server = make_server(
        "127.0.0.1", arguments.port, build_app(), threaded=True, request_handler=MotoRequestHandler
    )
    print(f"AWS stand-in listening on http://127.0.0.1:{arguments.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
