"""The benchmark harness runs (on a tiny size); its timings are never asserted."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_make_bench_writes_every_figure_on_a_tiny_size(tmp_path: Path) -> None:
    from bench.run import main

    main(["--quick", "--output", str(tmp_path)])
    figures = json.loads((tmp_path / "results.json").read_text())
    for name in (
        "critical_path_calls",
        "trigger_to_first_send_ms",
        "fanout",
        "overhead_us_per_notification",
        "calls_per_notification",
        "cold_start",
        "evaluation_us_per_event_1000_rules",
        "lists",
        "checkin_fanout",
        "checkin_answers",
        "machine",
    ):
        assert name in figures
    assert set(figures["calls_per_notification"]) == {"sms", "email"}
    assert figures["calls_per_notification"]["sms"]["by_api"]["sns:Publish"] == 1.0
    assert figures["lists"]["all_listed"] == 20  # every incident, page after page
    assert figures["cold_start"]["metrics"]["import_ms"] > 0
    # Issue #35's keys: every function's cold start, the critical path counted by API.
    functions = figures["cold_start"]["functions"]
    for name in (
        "api_handler",
        "evaluate_events",
        "dispatch_notifications",
        "escalate_due_incidents",
        "track_deliveries",
        "track_sms_status",
        "answer_sms_replies",
    ):
        assert functions[name]["ratio"] > 0
    assert functions["dispatch_notifications"]["module"] == "chalicelib.handlers.queues"
    path = figures["critical_path_calls"]
    assert path["total"] == sum(path["by_api"].values()) == len(path["order"])
    # The evaluator sends an incident's first messages itself: no dispatcher on the way.
    assert path["order"][-1] in ("evaluator sns:Publish", "evaluator sesv2:SendEmail")
    assert set(path["by_function"]) == {"api", "evaluator"}
    # The API's part ends with its queueing (it marks the event queued beside the evaluator).
    assert [step for step in path["order"] if step.startswith("api")][-1].startswith("api sqs:")
    assert path["in_process_total"] >= path["total"]
    for channel in ("sms", "email"):
        assert (
            figures["fanout"][channel]["busiest_second"]
            <= figures["fanout"][channel]["quota_per_s"]
        )
    results = (tmp_path / "RESULTS.md").read_text()
    assert "| cold start" in results and "Powertools Metrics" in results
    assert "| listing 20 incidents through the API" in results


def test_the_checkin_bench_loses_nothing_and_reminds_only_the_silent() -> None:
    from bench.checkins import fanout

    figures = fanout(40, scale=100)
    assert (figures["lost"], figures["twice"]) == (0, 0)
    assert (figures["reminded"], figures["reminders_to_people_who_answered"]) == (20, 0)


def test_the_console_bench_renders_every_entry_of_a_small_timeline() -> None:
    from bench.console import measure as console_page

    figures = console_page(count=30, runs=1)
    assert (figures["entries"], figures["rows_rendered"]) == (30, 30)
