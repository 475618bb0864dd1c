"""Fan-out efficiency: messages a second against a stand-in that enforces a fixed quota.

    python -m bench.fanout [--recipients 10000] [--scale 10]

Real time, in-process: the channel is wrapped exactly as the dispatcher wraps it (PacedSender,
WindowPacer at the whole quota); the stand-in accepts at most its quota in any one-second window
(sliding, so every window AWS could count is covered), throttles above it, and takes a fixed
latency per call. Quotas are
AWS-like (100 SMS parts/s, 200 emails/s) multiplied by ``--scale`` so the run takes seconds.
Anything that runs out of retry budget is sent again later, as SQS redelivery would.
Figures: achieved rate, its share of the quota, messages lost and sent twice.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from chalicelib.core.errors import TransientSendError
from chalicelib.core.messaging.pacing import PacedSender, RetryBudget, WindowPacer
from chalicelib.core.model import Channel, Message, SendReceipt

LATENCY_SECONDS = 0.0002


class QuotaStandIn:
    """Accepts at most ``quota`` messages in any one-second window, throttles above it, and
    takes ``latency`` seconds a call. Real time by default; tests pass a simulated clock."""

    def __init__(
        self,
        channel: Channel,
        quota: float,
        latency: float = LATENCY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.channel = channel
        self.quota = quota
        self.latency = latency
        self._monotonic = monotonic
        self._sleep = sleep
        self.window: deque[float] = deque()
        self.accepted: Counter[str] = Counter()
        self.throttled = 0
        self.busiest = 0  # the most accepted in any one-second window

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        self._sleep(self.latency)
        now = self._monotonic()
        while self.window and self.window[0] <= now - 1:
            self.window.popleft()
        if len(self.window) >= self.quota:
            self.throttled += 1
            raise TransientSendError("ThrottlingException", "Rate exceeded")
        self.window.append(now)
        self.busiest = max(self.busiest, len(self.window))
        self.accepted[destination] += 1
        return SendReceipt(f"m-{destination}")


def measure(channel: Channel, recipients: int, quota: float) -> dict[str, Any]:
    standin = QuotaStandIn(channel, quota)
    sender = PacedSender(standin, WindowPacer(quota), RetryBudget())
    queue = [f"dest-{number}" for number in range(recipients)]
    started = time.monotonic()
    while queue:
        requeued = []
        for destination in queue:
            try:
                sender.send(destination, Message(body="TOCSIN CRITICAL: drill"), "inc_bench")
            except TransientSendError:
                requeued.append(destination)
        queue = requeued
    elapsed = time.monotonic() - started
    # Everyone reached, over the time it took: the first window's quota goes at once, as AWS
    # allows, so a short fan-out can pass 1.0; ``busiest_second`` shows no window held more.
    achieved = recipients / elapsed
    return {
        "recipients": recipients,
        "quota_per_s": quota,
        "achieved_per_s": round(achieved, 1),
        "quota_efficiency": round(achieved / quota, 3),
        "lost": recipients - len(standin.accepted),
        "duplicates": sum(count - 1 for count in standin.accepted.values()),
        "throttled": standin.throttled,
        "busiest_second": standin.busiest,
        "seconds": round(elapsed, 2),
    }


def run(recipients: int, scale: float) -> dict[str, Any]:
    return {
        "sms": measure(Channel.SMS, recipients, 100 * scale),
        "email": measure(Channel.EMAIL, recipients, 200 * scale),
        "time_scale": scale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=10)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.recipients, arguments.scale), indent=2))


if __name__ == "__main__":
    main()
