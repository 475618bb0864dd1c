"""The fault harness (``make chaos``) at a small size: its accounting holds on every seed it
is run with here. The figures at full size are read from bench/CHAOS.md, never asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.chaos import summary
from bench.chaos_faults import LambdaCrash
from bench.chaos_run import Options, run
from chalicelib.core import checkpoints


@pytest.fixture(autouse=True)
def _no_hook_left() -> Iterator[None]:
    yield
    checkpoints.install_hook(None)


@pytest.mark.parametrize("seed", [1, 2])
def test_under_faults_nothing_accepted_is_left_pending_nothing_planned_is_lost(seed: int) -> None:
    figures = run(Options(seed=seed, incidents=12, per_role=2, crash_rate=0.1, lost_answers=0.05))
    events, notifications = figures["events"], figures["notifications"]
    assert events["accepted"] == 12
    assert events["pending"] == 0  # the stored events never accepted included
    assert events["orphaned_never_queued"] == events["orphaned"]
    assert events["decided"] == events["accepted"]
    assert notifications["planned"] >= 12 * 19
    assert notifications["lost"] == 0
    assert notifications["sent"] + notifications["not_needed"] == notifications["planned"]
    assert notifications["recorded_sent_never_accepted"] == 0
    assert notifications["sent_twice"] <= notifications["unknown"]
    assert notifications["outcome_unknown_entries"] >= notifications["sent_twice"]
    assert sum(figures["faults"].values()) > 0
    assert sum(figures["crashes"].values()) > 0
    assert figures["queues"]["duplicates"] > 0
    assert "| lost (must be 0) | 0 |" in summary([{**figures, "drain": {"wall_seconds": 1.0}}])


def test_a_checkpoint_costs_nothing_until_a_hook_is_installed() -> None:
    checkpoints.checkpoint(checkpoints.CLAIMED)  # no hook: nothing happens
    seen: list[str] = []
    checkpoints.install_hook(seen.append)
    checkpoints.checkpoint(checkpoints.CLAIMED)
    assert seen == [checkpoints.CLAIMED]


def test_a_crash_is_not_an_exception_so_no_handler_catches_it() -> None:
    assert not issubclass(LambdaCrash, Exception)
