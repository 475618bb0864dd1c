"""The erasure worker's time budget: always a slice, never past its Lambda's timeout."""

from __future__ import annotations

import pytest

from chalicelib.handlers.erasure import WORK_SECONDS, _work_seconds


class Context:
    def __init__(self, remaining_ms: float) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> float:
        return self.remaining_ms


@pytest.mark.parametrize(
    ("remaining_ms", "seconds"),
    [
        (60_000, WORK_SECONDS),  # a 60 s function: the full budget, 40 s to spare
        (24_000, 18.0),  # a quarter kept for the last slice and the checkpoint
        (3_000, 2.25),  # chalice's local context
        (0, 0.0),  # no time: one slice all the same (the job always does one)
    ],
)
def test_each_run_works_within_what_is_left_of_its_invocation(
    remaining_ms: float, seconds: float
) -> None:
    assert _work_seconds(Context(remaining_ms)) == seconds


def test_without_a_lambda_context_the_default_budget_applies() -> None:
    assert _work_seconds(None) == WORK_SECONDS
