"""Send at the quota, not above it: a one-second window per channel, and retries within a budget.

AWS quotas are per second (SES sends per second, SMS parts per second per origination
identity). A fan-out that ignores them fails with throttling; one that paces itself runs at the
quota from the first second. :class:`PacedSender` wraps a channel:

- before each send it takes from its pacer the units the message costs (SMS: segments;
  others: 1), waiting when the pacer has none left;
- a transient failure (throttling, unavailable) is retried with exponential backoff and full
  jitter until the retry budget is spent; then it is raised, and the queue retries the job
  later (the send ledger makes that safe). Permanent failures are raised at once, and so is a
  call whose answer was lost (``SendOutcomeUnknown``: AWS may have accepted it), so the
  dispatcher says on the timeline that sending it again may send it twice.

These are the only retries of a send: the channel clients make one attempt each
(``wiring.py``), so every attempt passes the bucket and a throttle slows it down.

AWS counts in windows of a second, so the dispatcher paces to the window itself
(:class:`WindowPacer`): in any one second, at most the quota's units, each counted from the moment
its call returned (AWS counted it at some moment between the request and the answer, never
later), so no one-second window AWS could count holds more than the quota, and none is left
unused: the whole quota, without the 5 % margin a rate-with-burst (:class:`TokenBucket`, kept for
callers that want a plain rate) needs. The pacer is per function instance. With several dispatch
instances at once, give each its share of the account quota (``TOCSIN_DISPATCH_CONCURRENCY``
divides it: :func:`window_quota`).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from chalicelib.core.errors import SendError, SendOutcomeUnknown, TransientSendError
from chalicelib.core.messaging.ports import BatchSender, ChannelSender
from chalicelib.core.model import Channel, Message, SendReceipt
from chalicelib.core.telemetry import MESSAGES_THROTTLED, NO_METER, Meter
from chalicelib.core.wording.segments import count_segments

_R = TypeVar("_R")

HEADROOM = 0.95


def paced_rate(quota_per_second: float, instances: int = 1) -> float:
    """The rate a :class:`TokenBucket` paces at, for an account quota shared by ``instances``."""
    return quota_per_second * HEADROOM / max(1, instances)


def window_quota(quota_per_second: float, instances: int = 1) -> float:
    """One dispatch instance's share of a one-second quota (all of it, divided by ``instances``)."""
    return quota_per_second / max(1, instances)


class Pacer(Protocol):
    def take(self, units: float = 1) -> float:
        """Wait until ``units`` may go, take them; returns the seconds waited."""
        ...

    def sent(self, units: float = 1) -> None:
        """The call that took ``units`` has returned (whatever its outcome)."""
        ...

    def slow_down(self) -> None: ...

    def recover(self) -> None: ...


class WindowPacer:
    """At most ``quota`` units in any one-second window, counted from when each call returned.

    ``take`` waits until the units sent in the last second leave room; ``sent`` stamps them.
    Throttling lowers the quota it paces to (to 70 %, at most down to a tenth); each success
    wins back 1 % of it, as :class:`TokenBucket` does. Single-threaded, as the dispatcher is."""

    def __init__(
        self,
        quota: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if quota < 1:
            raise ValueError("a window pacer needs a quota of at least 1 a second")
        self._configured = quota
        self._quota = quota
        self._monotonic = monotonic
        self._sleep = sleep
        self._stamps: deque[tuple[float, float]] = deque()  # (returned at, units)
        self._used = 0.0  # units in ``_stamps``

    @property
    def quota(self) -> float:
        return self._quota

    def slow_down(self) -> None:
        self._quota = max(self._configured / 10, self._quota * 0.7)

    def recover(self) -> None:
        self._quota = min(self._configured, self._quota + self._configured / 100)

    def take(self, units: float = 1) -> float:
        units = min(units, max(1.0, self._quota))  # a message bigger than the quota goes alone
        waited = 0.0
        now = self._forget(self._monotonic())
        while self._stamps and self._used + units > self._quota:
            pause = max(self._stamps[0][0] + 1.0 - now, 1e-6)  # the oldest leaves the window
            self._sleep(pause)
            waited += pause
            now = self._forget(self._monotonic())
        return waited

    def sent(self, units: float = 1) -> None:
        units = min(units, max(1.0, self._quota))
        self._stamps.append((self._monotonic(), units))
        self._used += units

    def _forget(self, now: float) -> float:
        """Drop what was sent a second or more before ``now``; returns ``now``."""
        while self._stamps and self._stamps[0][0] + 1.0 - now <= 0:
            self._used -= self._stamps.popleft()[1]
        if not self._stamps:
            self._used = 0.0
        return now


class TokenBucket:
    """``rate`` units a second, up to ``burst`` at once. Throttling slows it down (to 70%, at
    most down to a tenth of the configured rate); each success wins back 1% of the rate, so a
    quota set too high converges on the real one instead of failing repeatedly."""

    def __init__(
        self,
        rate: float,
        burst: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self._configured = rate
        self._rate = rate
        self._burst = burst
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = burst
        self._updated = monotonic()

    def slow_down(self) -> None:
        self._rate = max(self._configured / 10, self._rate * 0.7)

    def recover(self) -> None:
        self._rate = min(self._configured, self._rate + self._configured / 100)

    def sent(self, units: float = 1) -> None:
        """Nothing: the bucket counts when units are taken."""

    def take(self, units: float = 1) -> float:
        """Wait until ``units`` are available, take them; returns the seconds waited."""
        units = min(units, self._burst)  # a message bigger than the burst still goes, alone
        self._refill()
        waited = 0.0
        if self._tokens < units:
            waited = (units - self._tokens) / self._rate
            self._sleep(waited)
            self._refill()  # a sleep that overran is credited, up to the burst
        self._tokens = max(0.0, self._tokens - units)
        return waited

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now


def burst_for(rate: float) -> float:
    """A twentieth of a second's worth: enough to absorb sleep overruns, too little to push a
    one-second window past the quota (with the headroom)."""
    return max(1.0, rate / 20)


@dataclass(frozen=True)
class RetryBudget:
    attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 5.0  # the most one wait may be
    total_seconds: float = 20.0  # then the job goes back to the queue


class PacedSender:
    def __init__(
        self,
        inner: ChannelSender,
        bucket: Pacer,
        budget: RetryBudget = RetryBudget(),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
        meter: Meter = NO_METER,
    ) -> None:
        self.channel: Channel = inner.channel
        self._meter = meter
        self._inner = inner
        self._bucket = bucket
        self._budget = budget
        self._sleep = sleep
        self._jitter = jitter

    @property
    def batch_addresses(self) -> int:
        """What the channel's batch call holds (0: it has none, send one by one)."""
        return int(getattr(self._inner, "batch_addresses", 0))

    def send_batch(
        self, items: Sequence[tuple[str, Message]], incident_id: str
    ) -> list[SendReceipt | SendError]:
        """One paced call for several people (one token: the quota counts requests)."""
        inner = self._inner
        assert isinstance(inner, BatchSender)
        return self._paced(1, lambda: inner.send_batch(items, incident_id))

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        units = count_segments(message.body).segments if self.channel is Channel.SMS else 1
        return self._paced(units, lambda: self._inner.send(destination, message, incident_id))

    def _paced(self, units: int, call: Callable[[], _R]) -> _R:
        spent = 0.0
        for attempt in range(self._budget.attempts):
            self._bucket.take(units)
            try:
                try:
                    result = call()
                finally:  # throttled or not, AWS may have counted it
                    self._bucket.sent(units)
            except SendOutcomeUnknown:
                raise
            except TransientSendError as error:
                if error.throttled:
                    self._meter.record(MESSAGES_THROTTLED, by=self.channel.value)
                self._bucket.slow_down()
                ceiling = min(self._budget.max_seconds, self._budget.base_seconds * 2**attempt)
                pause = self._jitter(0, ceiling)
                if (
                    attempt + 1 == self._budget.attempts
                    or spent + pause > self._budget.total_seconds
                ):
                    raise
                self._sleep(pause)
                spent += pause
            else:
                self._bucket.recover()
                return result
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover
