"""``make chaos``: Tocsin's guarantees under faults, with figures, to bench/chaos.json and
bench/CHAOS.md.

    python -m bench.chaos [--seeds 1 2 3] [--incidents 200] [--per-role 6] [--fault-rate 0.2]

Each seed is one run: events accepted through the intake, then the real Chalice handlers
(``evaluate_events``, ``dispatch_notifications``, ``escalate_due_incidents``) driven in process
on the production container (``wiring.Container``) over the contract-tested fakes, while
``bench/chaos_faults.py`` injects AWS errors on every call, lost answers, doubled and reordered
queue messages, crashes at named step boundaries (``chalicelib/core/checkpoints.py``; the
container is rebuilt after each, as a new Lambda instance would be) and acknowledgements racing
escalation ticks. Time is simulated (a clock the harness moves), so a run of 10,000
notifications takes a few minutes. The figures are read, never asserted here; the guarantees
are asserted on a smaller run against moto in ``tests/e2e/test_chaos.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.chaos_run import Options, run

PROJECT = Path(__file__).resolve().parent.parent


def summary(runs: list[dict[str, Any]]) -> str:
    rows = [
        ("incidents opened", "incidents"),
        ("events accepted", "events.accepted"),
        ("events decided", "events.decided"),
        ("events `failed`", "events.failed"),
        (
            "events pending at the end, stored ones never accepted included (must be 0)",
            "events.pending",
        ),
        ("notifications planned", "notifications.planned"),
        ("sent", "notifications.sent"),
        ("not sent: acknowledged first (escalation steps)", "notifications.not_needed"),
        ("lost (must be 0)", "notifications.lost"),
        ("sent twice", "notifications.sent_twice"),
        ("channel calls whose outcome was unknown (recipients)", "notifications.unknown"),
        ("  of which answers lost", "faults.answer_lost"),
        ("  of which crashes after acceptance", "crashes.channel_accepted"),
        ("`outcome_unknown` timeline entries", "notifications.outcome_unknown_entries"),
        ("sent twice within the unknown-outcome count", "notifications.twice_within_unknown"),
        ("AWS faults: throttling", "faults.throttling"),
        ("AWS faults: 5xx", "faults.5xx"),
        ("AWS faults: timeouts", "faults.timeout"),
        ("AWS faults: latency spikes", "faults.latency"),
        ("AWS calls failed after the SDK's retries", "faults.aws_call_failed"),
        ("queue messages delivered twice", "queues.duplicates"),
        ("crashes: after the event is stored", "crashes.event_stored"),
        ("crashes: after the incident opens", "crashes.incident_opened"),
        ("crashes: after a claim", "crashes.claimed"),
        ("crashes: after the channel accepted", "crashes.channel_accepted"),
        ("crashes: mid-batch", "crashes.record_done"),
        ("acknowledgements racing an escalation tick", "crashes.ack_raced_tick"),
        ("containers rebuilt", "containers_rebuilt"),
        ("acknowledgements given up after 20 transient errors", "acknowledgements_given_up"),
        (
            "messages to the dead-letter queue after 5 receives (then redriven)",
            "queues.dead_lettered",
        ),
        ("events stored but never accepted (a crash before the 202)", "events.orphaned"),
        ("  of which marked `failed`, `never_queued` by the tick", "events.orphaned_never_queued"),
        ("  of which left pending (counted above)", "events.orphaned_pending"),
        (
            "simulated time to drain (one invocation at a time: every latency spike adds up)",
            "drain.simulated",
        ),
        ("wall-clock time", "drain.wall_seconds"),
    ]
    seeds = [str(figures["seed"]) for figures in runs]
    lines = [
        "# Tocsin under faults",
        "",
        "Written by `make chaos` (bench/chaos.py); the numbers are in chaos.json. Each column is "
        f"one seeded run: {runs[0]['options']['incidents']} incidents, "
        f"{int(runs[0]['options']['fault_rate'] * 100)} % of AWS call attempts failing or slow, "
        "every queue message delivered twice and reordered, crashes at every named step "
        "boundary, acknowledgements racing escalation ticks. What each line means: "
        "[docs/ARCHITECTURE.md](../docs/ARCHITECTURE.md#the-fault-harness-make-chaos).",
        "",
        "| figure | " + " | ".join(f"seed {seed}" for seed in seeds) + " |",
        "| --- | " + " | ".join("---:" for _ in seeds) + " |",
    ]
    for label, path in rows:
        cells = [_format(_lookup(figures, path)) for figures in runs]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    reasons = sorted({reason for f in runs for reason in f["events"]["failed_reasons"]})
    if reasons:
        lines += ["", "Why events ended `failed`: " + "; ".join(reasons) + "."]
    return "\n".join([*lines, ""])


def _lookup(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        value = value.get(part, 0) if isinstance(value, dict) else 0
    return value


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--per-role", type=int, default=6, help="people in each of 5 roles")
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--crash-rate", type=float, default=0.02)
    parser.add_argument("--lost-answers", type=float, default=0.01)
    parser.add_argument("--output", type=Path, default=PROJECT / "bench")
    arguments = parser.parse_args(argv)
    runs = []
    for seed in arguments.seeds:
        started = time.monotonic()
        options = Options(
            seed=seed,
            incidents=arguments.incidents,
            per_role=arguments.per_role,
            fault_rate=arguments.fault_rate,
            crash_rate=arguments.crash_rate,
            lost_answers=arguments.lost_answers,
        )
        figures = run(options)
        figures["drain"]["wall_seconds"] = round(time.monotonic() - started, 1)
        runs.append(figures)
        print(f"seed {seed}: {json.dumps(figures['notifications'])}", flush=True)
    arguments.output.mkdir(parents=True, exist_ok=True)
    (arguments.output / "chaos.json").write_text(json.dumps(runs, indent=2) + "\n")
    (arguments.output / "CHAOS.md").write_text(summary(runs))
    print(summary(runs))


if __name__ == "__main__":
    main()
