"""Send at the quota, not above it: a token bucket per channel, and retries within a budget.

AWS quotas are per second (SES sends per second, SMS parts per second per origination
identity). A fan-out that ignores them fails with throttling; one that paces itself runs at the
quota from the first second. :class:`PacedSender` wraps a channel:

- before each send it takes from a token bucket the units the message costs (SMS: segments;
  others: 1), waiting when the bucket is empty;
- a transient failure (throttling, unavailable) is retried with exponential backoff and full
  jitter until the retry budget is spent; then it is raised, and the queue retries the job
  later (the send ledger makes that safe). Permanent failures are raised at once, and so is a
  call whose answer was lost (``SendOutcomeUnknown``: AWS may have accepted it), so the
  dispatcher says on the timeline that sending it again may send it twice.

These are the only retries of a send: the channel clients make one attempt each
(``wiring.py``), so every attempt passes the bucket and a throttle slows it down.

Pace at a little under the quota (``HEADROOM``) with a small burst (:func:`burst_for`): AWS counts
in windows of a second, and a large burst on top of a second's rate would go over. The bucket is per
function instance. With several dispatch instances at once, give each its
share of the account quota (``TOCSIN_DISPATCH_CONCURRENCY`` divides it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from chalicelib.core.errors import SendError, SendOutcomeUnknown, TransientSendError
from chalicelib.core.messaging.ports import BatchSender, ChannelSender
from chalicelib.core.model import Channel, Message, SendReceipt
from chalicelib.core.wording.segments import count_segments

_R = TypeVar("_R")

HEADROOM = 0.95


def paced_rate(quota_per_second: float, instances: int = 1) -> float:
    """The rate one dispatch instance paces at, for an account quota shared by ``instances``."""
    return quota_per_second * HEADROOM / max(1, instances)


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
        bucket: TokenBucket,
        budget: RetryBudget = RetryBudget(),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.channel: Channel = inner.channel
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
                result = call()
            except SendOutcomeUnknown:
                raise
            except TransientSendError:
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
