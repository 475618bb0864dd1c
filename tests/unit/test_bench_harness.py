"""The benchmark harness runs (on a tiny size); its timings are never asserted."""

from __future__ import annotations

from bench.evaluation import events_for, measure, playbook_of


def test_the_evaluation_bench_runs_on_a_tiny_playbook() -> None:
    figures = measure(rules=20, events=30, runs=1)
    assert figures["rules"] == 20
    assert 0 < figures["activated_share"] < 1


def test_the_generated_events_exercise_matches_near_misses_and_unknown_types() -> None:
    playbook = playbook_of(40)
    types = {event.type for event in events_for(40, 60)}
    assert "unknown.type" in types
    assert len(playbook.rules) == 40


def test_the_fanout_bench_runs_on_a_tiny_size() -> None:
    from bench.fanout import run

    figures = run(recipients=20, scale=10)
    assert (figures["sms"]["lost"], figures["sms"]["duplicates"]) == (0, 0)
    assert figures["email"]["recipients"] == 20
