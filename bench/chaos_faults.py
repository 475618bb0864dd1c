"""What the fault harness injects (``bench/chaos.py``), drawn from one seeded generator.

- AWS errors at a set rate on every call: each port of the fakes (a DynamoDB table, a queue)
  sits behind :class:`AwsProxy`, which answers an attempt with throttling, a 5xx, a timeout
  (half the time after the write landed, as a read timeout does) or a latency spike. Like the
  SDK's standard retry mode (``wiring._CLIENT_CONFIG``: 3 attempts), a call fails only when
  every attempt did; the sending clients make one attempt (the pacer retries them).
- Channels (:class:`FaultyChannel`): the same errors, and answers lost after AWS accepted the
  message (``SendOutcomeUnknown``).
- Crashes (:class:`Crashes`): at the named checkpoints of ``chalicelib/core/checkpoints.py``,
  a :class:`LambdaCrash` that no handler catches; the harness then builds a new container.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from chalicelib.core import checkpoints
from chalicelib.core.errors import SendOutcomeUnknown, TransientError, TransientSendError
from chalicelib.core.model import Message, SendReceipt
from fakes.channels import RecordingChannel
from fakes.clock import FixedClock

_R = TypeVar("_R")
SDK_ATTEMPTS = 3  # wiring._CLIENT_CONFIG: botocore's standard mode, 3 attempts
ERROR_KINDS = ("throttling", "5xx", "timeout", "latency")
# Crash probability at each checkpoint, as a share of the crash rate; PAGING_QUEUED is where an
# acknowledgement races the escalation tick instead (see Crashes.race).
CRASH_WEIGHTS = {
    checkpoints.EVENT_STORED: 1.0,
    checkpoints.INCIDENT_OPENED: 2.0,
    checkpoints.CLAIMED: 0.25,
    checkpoints.CHANNEL_ACCEPTED: 0.25,
    checkpoints.RECORD_DONE: 1.0,
}


class LambdaCrash(BaseException):
    """The Lambda instance dies here: not an ``Exception``, so no handler catches it."""


class Faults:
    """One run's injected faults, counted by kind, from one seeded generator."""

    def __init__(
        self, rng: random.Random, rate: float, clock: FixedClock, lost_answers: float
    ) -> None:
        self.rng = rng
        self.rate = rate
        self.clock = clock
        self.lost_answers = lost_answers
        self.counts: Counter[str] = Counter()
        self.unknown_recipients = 0  # recipients of channel calls whose outcome is unknown
        # Accepted by a channel, not yet closed in the ledger (the dispatcher closes a round's
        # at once: a crash before that leaves all of them with an unknown outcome).
        self.accepted_unrecorded = 0

    def draw(self) -> str | None:
        if self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(ERROR_KINDS)
        self.counts[kind] += 1
        return kind

    def spike(self) -> None:
        """A latency spike: the call answers, seconds late (long enough, at times, for a claim
        to look stale to another invocation)."""
        self.sleep(self.rng.choice((0.5, 2.0, 8.0, 30.0)))

    def sleep(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def aws_call(self, name: str, call: Callable[[], _R]) -> _R:
        """One SDK call of up to three attempts, each of which may fail."""
        for attempt in range(SDK_ATTEMPTS):
            kind = self.draw()
            if kind is None or kind == "latency":
                if kind == "latency":
                    self.spike()
                return call()
            if kind == "timeout" and self.rng.random() < 0.5:
                with contextlib.suppress(Exception):  # its answer is lost either way
                    call()  # the request landed; its answer did not
            if attempt + 1 == SDK_ATTEMPTS:
                self.counts["aws_call_failed"] += 1
                raise TransientError(f"{name}: {kind} (injected, after {SDK_ATTEMPTS} attempts)")
        raise AssertionError("unreachable")  # pragma: no cover


class AwsProxy:
    """A port of the fakes as its AWS adapter would behave under faults: every public method
    is one AWS call (``Faults.aws_call``); attributes pass through."""

    def __init__(self, inner: Any, name: str, faults: Faults) -> None:
        self._inner = inner
        self._name = name
        self._faults = faults

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._inner, attribute)
        if attribute.startswith("_") or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._faults.aws_call(
                f"{self._name}.{attribute}", lambda: value(*args, **kwargs)
            )

        return call


class FaultyChannel:
    """A channel's API under faults, one attempt a call: throttling, 5xx and connect timeouts
    (nothing sent), latency, and answers lost after AWS accepted the message."""

    def __init__(self, inner: RecordingChannel, faults: Faults) -> None:
        self.channel = inner.channel
        self._inner = inner
        self._faults = faults

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        faults = self._faults
        if faults.rng.random() < faults.lost_answers:
            self._inner.send(destination, message, incident_id)
            faults.counts["answer_lost"] += 1
            faults.unknown_recipients += 1
            raise SendOutcomeUnknown("ReadTimeoutError", f"{self.channel.value}: no answer came")
        kind = faults.draw()
        if kind == "latency":
            faults.spike()
        elif kind is not None:
            code = {"throttling": "ThrottlingException", "5xx": "InternalFailure"}
            raise TransientSendError(code.get(kind, "ConnectTimeoutError"), "injected")
        receipt = self._inner.send(destination, message, incident_id)
        faults.accepted_unrecorded += 1
        return receipt


class Crashes:
    """The checkpoint hook: a crash at a named boundary, with its probability; at
    PAGING_QUEUED, sometimes an acknowledgement (``race``) between a tick's jobs and its write."""

    def __init__(
        self,
        faults: Faults,
        rate: float,
        race: Callable[[], None] | None = None,
        race_rate: float = 0.5,
        weights: Mapping[str, float] = CRASH_WEIGHTS,
    ) -> None:
        self._faults = faults
        self._rate = rate
        self._race = race
        self._race_rate = race_rate
        self._weights = weights
        self.counts: Counter[str] = Counter()
        self.armed = True

    def __call__(self, name: str) -> None:
        rng = self._faults.rng
        if name == checkpoints.RECORDED_SENT:
            self._faults.accepted_unrecorded = 0
            return
        if name == checkpoints.PAGING_QUEUED and self._race is not None:
            if rng.random() < self._race_rate:
                self.counts["ack_raced_tick"] += 1
                self._race()
            return
        if not self.armed or rng.random() >= self._rate * self._weights.get(name, 0.0):
            return
        self.counts[name] += 1
        if name == checkpoints.CHANNEL_ACCEPTED:  # every message accepted and not yet closed
            self._faults.unknown_recipients += max(1, self._faults.accepted_unrecorded)
            self._faults.accepted_unrecorded = 0
        raise LambdaCrash(name)
