"""The fault harness's second backend: the production container on moto.

``run(options, backend=on_moto)`` runs the harness (``bench/chaos_run.py``) with a plain
``wiring.Container`` over a boto3 session inside ``mock_aws`` (in process): every DynamoDB
adapter, its conditions and transactions, are the deployed code's. What the harness still
replaces is what moto cannot stand in for: SQS (moto's delays are wall-clock time and it never
delivers twice: ``ChaosSqs``) and the channels (recording stand-ins behind their faults).

AWS faults enter where AWS's would, below the SDK, so its own retries apply as on AWS
(``wiring._CLIENT_CONFIG``: standard mode, 3 attempts, with its retry quota):

- a ``before-send`` handler (registered first, ahead of moto's) answers an attempt, at the
  fault rate, with an HTTP 400 ``ThrottlingException`` or a 500 ``InternalServerError`` in
  DynamoDB's JSON, or raises ``ReadTimeoutError`` (half the time after handing the request to
  moto, so the write landed and its answer is lost), or waits (a latency spike);
- the SDK's backoff waits pass on the harness's clock (``botocore.endpoint``'s ``time``);
- ``after-call`` / ``after-call-error`` count the calls that failed after the SDK's retries.

Crashes come through the same checkpoints. The end state (events, incidents, timelines,
ledger) is read back from the moto tables, faults off. moto copies a whole table on every
transaction, so a run here is small: ``tests/e2e/test_chaos.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import boto3
import botocore.endpoint
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from bench.chaos_aws import REGION, ChaosSqs, HarnessContainer
from bench.chaos_faults import Faults
from bench.chaos_run import START, Options, people, playbook_documents
from chalicelib.core.activation.ports import EventRecord
from chalicelib.core.model import Channel, Incident, NotificationJob, TimelineEntry
from chalicelib.settings import Settings
from chalicelib.storage.codec import all_items
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.playbooks import DynamoPlaybookStore
from chalicelib.wiring import Container
from fakes.channels import RecordingChannel
from fakes.clock import FixedClock
from local import moto_fixes
from local.bootstrap import create_resources

_ERRORS = {"throttling": (400, "ThrottlingException"), "5xx": (500, "InternalServerError")}


class BotocoreFaults:
    """The run's faults on every AWS request a session's clients make."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.quiet = False  # the harness reading the tables: no faults, nothing counted

    def install(self, session: boto3.Session) -> None:
        session.events.register_first("before-send", self._before_send)  # type: ignore[arg-type]
        session.events.register("after-call", self._after_call)
        session.events.register("after-call-error", self._after_call_error)

    def _before_send(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        if self.quiet:
            return None
        kind = self.faults.draw()
        if kind is None:
            return None
        if kind == "latency":
            self.faults.spike()
            return None
        if kind == "timeout":
            if self.faults.rng.random() < 0.5:
                botocore_stubber(event_name=kwargs.get("event_name", ""), request=request)
            raise ReadTimeoutError(endpoint_url=request.url)
        status, code = _ERRORS[kind]
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": kind})
        headers = HTTPHeaders()
        headers["x-amzn-RequestId"] = "chaos"
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return AWSResponse(request.url, status, headers, MockRawResponse(body))

    def _after_call(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        code = parsed.get("Error", {}).get("Code")
        if not self.quiet and code in {code for _, code in _ERRORS.values()}:
            self.faults.counts["aws_call_failed"] += 1

    def _after_call_error(self, exception: Exception, **_: Any) -> None:
        if not self.quiet and isinstance(exception, ReadTimeoutError):
            self.faults.counts["aws_call_failed"] += 1


class _SdkTime:
    """``time`` as ``botocore.endpoint`` sees it: its retry backoff waits on the harness clock."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults

    def sleep(self, seconds: float) -> None:
        self._faults.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class MotoBackend:
    def __init__(
        self, settings: Settings, options: Options, channels: dict[Channel, RecordingChannel]
    ) -> None:
        self.settings = settings
        self.clock = FixedClock(START)
        moto_fixes.apply()  # each table copied once a transaction, as in the tests
        self._mock = mock_aws()
        self._mock.start()
        self.session = boto3.Session(region_name=REGION)
        create_resources(settings, self.session)
        dynamodb = self.session.client("dynamodb")
        DynamoPlaybookStore(dynamodb, settings.config_table).apply(playbook_documents(), START)
        directory = DynamoContactDirectory(dynamodb, settings.contacts_table)
        for contact in people(options.per_role):
            directory.put(contact)
        self.aws_faults: BotocoreFaults | None = None
        self._sdk_time = botocore.endpoint.time  # type: ignore[attr-defined]
        self._reader = Container(settings, self.session, clock=self.clock)

    def container(
        self, sqs: ChaosSqs, faults: Faults, channels: dict[Channel, RecordingChannel]
    ) -> Container:
        if self.aws_faults is None:  # the first container: the run's faults from now on
            self.aws_faults = BotocoreFaults(faults)
            self.aws_faults.install(self.session)
            botocore.endpoint.time = _SdkTime(faults)  # type: ignore[attr-defined]
            self._reader = Container(self.settings, self.session, clock=self.clock)
        return HarnessContainer(self.settings, self.clock, sqs, faults, channels, self.session)

    def _read(self, read: Any, *args: Any) -> Any:
        faults = self.aws_faults
        if faults is not None:
            faults.quiet = True
        try:
            return read(*args)
        finally:
            if faults is not None:
                faults.quiet = False

    def incidents(self, event_ids: Iterable[str]) -> list[Incident]:
        found = []
        for event_id in event_ids:
            record = self.event(event_id)
            if record is not None and record.incident_id:
                incident = self._read(self._reader.incidents.get, record.incident_id)
                if incident is not None:
                    found.append(incident)
        return found

    def due(self, now: datetime) -> bool:
        return bool(self._read(self._reader.incidents.due, now))

    def event(self, event_id: str) -> EventRecord | None:
        record: EventRecord | None = self._read(self._reader.events.get, event_id)
        return record

    def stored_events(self) -> list[str]:
        arguments = {
            "TableName": self.settings.incidents_table,
            "FilterExpression": "begins_with(pk, :event) AND sk = :sk",
            "ExpressionAttributeValues": {":event": {"S": "EVENT#"}, ":sk": {"S": "EVENT"}},
        }
        client = self._reader.client("dynamodb")
        items = self._read(lambda: list(all_items(client, "scan", arguments)))
        return [str(item["event_id"]) for item in items]

    def ledger_status(self, job: NotificationJob) -> str | None:
        status: str | None = self._read(self._reader.ledger.status, job)
        return status

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = self._read(self._reader.incidents.timeline, incident_id)
        return entries

    def close(self) -> None:
        botocore.endpoint.time = self._sdk_time  # type: ignore[attr-defined]
        self._mock.stop()


def on_moto(
    settings: Settings, options: Options, channels: dict[Channel, RecordingChannel]
) -> MotoBackend:
    return MotoBackend(settings, options, channels)
