"""Fan-outs run at the quota: paced by a token bucket, throttling retried, nothing lost or doubled.

Time is simulated: the bucket, the retries and the stand-in share one clock, so a fan-out of
thousands of messages takes milliseconds of real time.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.fanout import QuotaStandIn as BenchStandIn
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.messaging.pacing import (
    PacedSender,
    RetryBudget,
    TokenBucket,
    burst_for,
    paced_rate,
)
from chalicelib.core.model import Channel, Message, SendReceipt


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def QuotaStandIn(time: SimulatedTime, quota: int, latency: float = 0.002) -> Any:
    """The bench's quota-enforcing stand-in, on simulated time."""
    return BenchStandIn(Channel.SMS, quota, latency, time.monotonic, time.sleep)


def fan_out(recipients: int, quota: int, paced_at: float) -> tuple[QuotaStandIn, float]:
    """Every recipient once; what runs out of retry budget goes back to the queue and is sent
    again later, as SQS redelivery does."""
    time = SimulatedTime()
    standin = QuotaStandIn(time, quota)
    sender = PacedSender(
        standin,
        TokenBucket(
            paced_at, burst=burst_for(paced_at), monotonic=time.monotonic, sleep=time.sleep
        ),
        RetryBudget(attempts=5, base_seconds=0.05, total_seconds=5),
        sleep=time.sleep,
    )
    queue = [f"+1202555{number:04d}" for number in range(recipients)]
    while queue:
        requeued = []
        for destination in queue:
            try:
                sender.send(destination, Message(body="TOCSIN CRITICAL: x"), "inc_1")
            except TransientSendError:
                requeued.append(destination)
        queue = requeued
    return standin, time.now


def test_a_fan_out_paced_at_the_quota_is_never_throttled_and_runs_near_it() -> None:
    standin, elapsed = fan_out(3000, quota=100, paced_at=paced_rate(100))
    assert standin.throttled == 0
    assert len(standin.accepted) == 3000 and set(standin.accepted.values()) == {1}
    efficiency = 3000 / elapsed / 100
    assert 0.9 < efficiency <= 1


def test_pacing_above_the_quota_is_throttled_but_loses_and_doubles_nothing() -> None:
    standin, elapsed = fan_out(3000, quota=100, paced_at=150)
    assert standin.throttled > 0
    assert 3000 / elapsed / 100 > 0.7  # the bucket slowed down to about the real quota
    assert len(standin.accepted) == 3000 and set(standin.accepted.values()) == {1}


def test_sms_costs_its_segments() -> None:
    time = SimulatedTime()
    standin = QuotaStandIn(time, quota=1000, latency=0)
    bucket = TokenBucket(10, burst=10, monotonic=time.monotonic, sleep=time.sleep)
    sender = PacedSender(standin, bucket, sleep=time.sleep)
    for _ in range(5):
        sender.send("+12025550101", Message(body="x" * 200), "inc_1")  # two segments each
    assert time.now == pytest.approx(0.0)  # 10 parts: the whole burst
    sender.send("+12025550101", Message(body="x" * 200), "inc_1")
    assert time.now == pytest.approx(0.2)


def test_a_permanent_error_is_not_retried_and_the_budget_ends_retries() -> None:
    time = SimulatedTime()

    class Failing:
        channel = Channel.EMAIL
        calls = 0

        def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
            Failing.calls += 1
            raise error

    error: Exception = PermanentSendError("MessageRejected", "no")
    bucket = TokenBucket(100, burst=100, monotonic=time.monotonic, sleep=time.sleep)
    sender = PacedSender(Failing(), bucket, RetryBudget(attempts=4), sleep=time.sleep)
    with pytest.raises(PermanentSendError):
        sender.send("a@example.com", Message(body="x"), "inc_1")
    assert Failing.calls == 1
    error = TransientSendError("Throttling", "slow down")
    with pytest.raises(TransientSendError):
        sender.send("a@example.com", Message(body="x"), "inc_1")
    assert Failing.calls == 1 + 4
