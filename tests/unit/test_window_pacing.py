"""The dispatcher paces to AWS's one-second window (``WindowPacer``): the whole quota, never more
in any window the quota stand-in counts, whatever each call's latency. Simulated time."""

from __future__ import annotations

import random
from collections import deque

import pytest

from bench.fanout import QuotaStandIn
from chalicelib.core.errors import TransientSendError
from chalicelib.core.messaging.pacing import PacedSender, RetryBudget, WindowPacer, window_quota
from chalicelib.core.model import Channel, Message, SendReceipt
from tests.unit.test_quota import SimulatedTime


class JitteryStandIn(QuotaStandIn):
    """Counts each call at a random moment between its request and its answer, as AWS may."""

    def __init__(self, time: SimulatedTime, quota: int, seed: int) -> None:
        super().__init__(Channel.SMS, quota, 0.0, time.monotonic, time.sleep)
        self._time = time
        self._random = random.Random(seed)

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        before = self._random.uniform(0, 0.002)
        self._time.sleep(before)
        receipt = super().send(destination, message, incident_id)
        self._time.sleep(self._random.uniform(0, 0.002))  # the answer's way back
        return receipt


def fan_out(standin: QuotaStandIn, time: SimulatedTime, recipients: int, quota: float) -> float:
    pacer = WindowPacer(quota, monotonic=time.monotonic, sleep=time.sleep)
    sender = PacedSender(standin, pacer, RetryBudget(attempts=5), sleep=time.sleep)
    for number in range(recipients):
        sender.send(f"+1202555{number:04d}", Message(body="TOCSIN CRITICAL: x"), "inc_1")
    return time.now


@pytest.mark.parametrize("seed", range(5))
def test_paced_to_the_window_it_uses_the_whole_quota_and_is_never_throttled(seed: int) -> None:
    time = SimulatedTime()
    standin = JitteryStandIn(time, quota=100, seed=seed)
    elapsed = fan_out(standin, time, 3000, quota=100)
    assert standin.throttled == 0
    assert len(standin.accepted) == 3000 and set(standin.accepted.values()) == {1}
    assert standin.busiest == 100  # every window full, none over
    assert 3000 / elapsed / 100 >= 0.98


def test_a_fixed_latency_fan_out_runs_at_the_quota_from_the_first_second() -> None:
    time = SimulatedTime()
    standin = QuotaStandIn(Channel.EMAIL, 200, 0.001, time.monotonic, time.sleep)
    elapsed = fan_out(standin, time, 2000, quota=200)
    assert standin.throttled == 0 and standin.busiest == 200
    assert elapsed == pytest.approx(9 + 200 * 0.001, abs=0.01)  # nine waits for the window


def test_it_counts_sms_segments_and_a_message_bigger_than_the_quota_goes_alone() -> None:
    time = SimulatedTime()
    pacer = WindowPacer(10, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(5):
        assert pacer.take(2) == 0
        pacer.sent(2)
    assert pacer.take(2) == pytest.approx(1.0)  # the window is full: wait for its oldest
    pacer.sent(2)
    time.sleep(5)
    assert pacer.take(50) == 0  # bigger than the quota: alone in its window
    pacer.sent(50)
    assert pacer.take(1) == pytest.approx(1.0)


def test_throttling_lowers_the_quota_and_successes_win_it_back() -> None:
    pacer = WindowPacer(100)
    pacer.slow_down()
    assert pacer.quota == pytest.approx(70)
    for _ in range(100):
        pacer.slow_down()
    assert pacer.quota == pytest.approx(10)
    for _ in range(1000):
        pacer.recover()
    assert pacer.quota == pytest.approx(100)


def test_a_quota_set_too_high_is_throttled_but_loses_and_doubles_nothing() -> None:
    time = SimulatedTime()
    standin = QuotaStandIn(Channel.SMS, 100, 0.002, time.monotonic, time.sleep)
    pacer = WindowPacer(150, monotonic=time.monotonic, sleep=time.sleep)
    sender = PacedSender(standin, pacer, RetryBudget(attempts=5, base_seconds=0.05), time.sleep)
    queue = deque(f"+1202555{number:04d}" for number in range(2000))
    while queue:
        destination = queue.popleft()
        try:
            sender.send(destination, Message(body="x"), "inc_1")
        except TransientSendError:
            queue.append(destination)  # as SQS redelivers it
    assert standin.throttled > 0
    assert len(standin.accepted) == 2000 and set(standin.accepted.values()) == {1}


def test_each_instance_paces_to_its_share_and_a_quota_below_one_is_refused() -> None:
    assert window_quota(1000, 4) == 250
    assert window_quota(1000, 0) == 1000
    with pytest.raises(ValueError, match="at least 1"):
        WindowPacer(0.5)
