"""AWS answering with errors, for tests: a botocore ``before-call`` handler on a session answers
chosen operations with an AWS error instead of making the call (nothing reaches moto, which
answers the rest), and counts every call.

    faults = AwsFaults(session)
    faults.fail("dynamodb", "TransactWriteItems", "ValidationException", times=None)
    container = Container(settings, faults.session)   # its clients answer as scripted
    faults.calls["dynamodb.TransactWriteItems"]        # how often the operation was called

No ``mock.patch``: the handler sits on the session's event system, where botocore's own Stubber
sits, so the adapters under test run unchanged and see the real error classes of their clients.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders


@dataclass
class _Fault:
    code: str
    message: str
    status: int
    times: int | None  # None: every call


class AwsFaults:
    def __init__(self, session: boto3.Session | None = None) -> None:
        self.session = session or boto3.Session()
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, _Fault] = {}
        self._watched: set[str] = set()

    def fail(
        self,
        service: str,
        operation: str,
        code: str,
        message: str = "injected by the test",
        status: int = 400,
        times: int | None = None,
    ) -> AwsFaults:
        """Answer ``service``'s ``operation`` with the error ``code`` (``times`` calls, or
        every call), counting the calls."""
        self._faults[f"{service}.{operation}"] = _Fault(code, message, status, times)
        self.count(service, operation)
        return self

    def heal(self, service: str, operation: str) -> None:
        self._faults.pop(f"{service}.{operation}", None)

    def count(self, service: str, operation: str) -> AwsFaults:
        """Count the calls of an operation (those that reach AWS, or moto, included)."""
        name = f"{service}.{operation}"
        if name not in self._watched:
            self._watched.add(name)
            self.session.events.register_first(
                f"before-call.{service}.{operation}",
                lambda model, **_: self._answer(name, model),
            )
        return self

    def _answer(self, name: str, model: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        """An answer instead of the call (``before-call``: nothing reaches moto or AWS), or
        None to let the call go ahead."""
        self.calls[name] += 1
        fault = self._faults.get(name)
        if fault is None or fault.times == 0:
            return None
        if fault.times is not None:
            fault.times -= 1
        parsed = {
            "Error": {"Code": fault.code, "Message": fault.message},
            "ResponseMetadata": {"HTTPStatusCode": fault.status, "HTTPHeaders": {}},
        }
        url = f"https://{model.service_model.endpoint_prefix}.amazonaws.com/"
        return AWSResponse(url, fault.status, HTTPHeaders(), None), parsed
