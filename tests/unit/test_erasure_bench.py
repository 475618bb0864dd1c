"""The erasure benchmark runs on a tiny size and checks its own result (timings not asserted)."""

from __future__ import annotations

from bench.erasure import measure


def test_the_erasure_bench_erases_exactly_one_person_on_a_tiny_size() -> None:
    figures = measure(incidents=3)
    assert figures["done"] is True
    assert figures["records_changed"] == figures["records_naming_the_person"] == 3 * 8
    assert (figures["records_still_naming_the_person"], figures["other_records_changed"]) == (0, 0)
