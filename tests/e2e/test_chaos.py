"""The fault harness (``make chaos``) on moto: the production container's DynamoDB adapters,
conditions and transactions under AWS errors injected below the SDK (its own retries apply),
crashes at the named checkpoints, doubled and reordered queue messages. Small (moto copies a
whole table on every transaction) and seeded; the accounting is asserted, never a timing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.chaos_moto import on_moto
from bench.chaos_run import Options, run
from chalicelib.core import checkpoints


@pytest.fixture(autouse=True)
def _no_hook_left() -> Iterator[None]:
    yield
    checkpoints.install_hook(None)


def test_on_moto_under_faults_every_event_is_decided_and_no_message_is_lost() -> None:
    options = Options(seed=7, incidents=5, per_role=2, crash_rate=0.05, lost_answers=0.05)
    figures = run(options, backend=on_moto)
    events, notifications = figures["events"], figures["notifications"]
    assert events["accepted"] == 5
    assert events["pending"] == 0  # the stored events never accepted included
    assert events["orphaned_never_queued"] == events["orphaned"]
    assert events["decided"] == events["accepted"]
    assert 5 * 19 <= notifications["planned"] <= 500
    assert notifications["lost"] == 0
    assert notifications["sent"] + notifications["not_needed"] == notifications["planned"]
    assert notifications["recorded_sent_never_accepted"] == 0
    assert notifications["sent_twice"] <= notifications["unknown"]
    assert sum(figures["faults"].values()) > 0  # injected through botocore's events
    assert sum(figures["crashes"].values()) > 0
    assert figures["queues"]["duplicates"] > 0
