"""Issue #35's figures for two trees of Tocsin, measured back to back on one machine.

    python -m bench.before_after BEFORE_TREE [--quick]

BEFORE_TREE: a checkout of the code before the change (e.g. ``git archive main | tar -x -C
/tmp/before``). This tree's measuring modules (this file, ``trigger_to_first_send.py``,
``dispatch.py``, ``coldstart.py``) are copied into it, so both trees are measured the same way;
the fan-out is measured with each tree's own ``fanout.py`` (its own pacer). Figure by figure,
the before tree then this one, each in a fresh interpreter: timings on a shared machine drift,
and this keeps each pair close in time. Writes ``bench/BEFORE-AFTER.md`` and
``bench/before_after.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
MEASURING = ("before_after.py", "trigger_to_first_send.py", "dispatch.py", "coldstart.py")
# The stand-ins measured on are the same for both trees: moto, with this tree's fix to it.
STAND_INS = ("local/moto_fixes.py",)
FIGURES = ("critical_path", "trigger", "fanout", "overhead", "calls", "cold_start")


def figure(name: str, quick: bool) -> Any:
    """One figure, measured in the current tree (run in a fresh interpreter)."""
    from bench import coldstart, dispatch, fanout, trigger_to_first_send

    if name in ("critical_path", "trigger"):
        found = trigger_to_first_send.figures(2 if quick else 30)
        return found["critical_path_calls"] if name == "critical_path" else found
    if name == "fanout":
        return fanout.run(recipients=20 if quick else 10_000, scale=10)
    if name == "overhead":
        return dispatch.overhead(20 if quick else 2000, 1 if quick else 5)
    if name == "calls":
        return dispatch.calls(5 if quick else 50)
    return coldstart.measure(1 if quick else 7)


def measure_in(tree: Path, name: str, quick: bool) -> Any:
    snippet = (
        "import json, sys; from bench.before_after import figure; "
        f"print('\\x1e' + json.dumps(figure({name!r}, {quick!r})))"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", snippet], cwd=tree, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.rsplit("\x1e", 1)[1])


def compare(
    before: Path, quick: bool, names: tuple[str, ...] = FIGURES, pairs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``names``: the figures to measure (again), into ``pairs`` (an earlier run's)."""
    for module in MEASURING:
        shutil.copy(PROJECT / "bench" / module, before / "bench" / module)
    for stand_in in STAND_INS:
        shutil.copy(PROJECT / stand_in, before / stand_in)
    pairs = dict(pairs or {})
    pairs["before_tree"] = str(before)
    pairs["load_at_start"] = [round(load, 2) for load in os.getloadavg()]
    for name in names:
        pairs[name] = {
            "before": measure_in(before, name, quick),
            "after": measure_in(PROJECT, name, quick),
        }
    if names != FIGURES:
        pairs["measured_again"] = {
            "figures": list(names),
            "first_run": pairs.get("measured_at"),
        }
    pairs["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    pairs["load_at_end"] = [round(load, 2) for load in os.getloadavg()]
    return pairs


def table(pairs: dict[str, Any]) -> str:
    def row(label: str, before: Any, after: Any, target: str) -> str:
        return f"| {label} | {before} | {after} | {target} |"

    path, trigger = pairs["critical_path"], pairs["trigger"]
    fan, calls, cold = pairs["fanout"], pairs["calls"], pairs["cold_start"]
    lines = [
        "# Before and after (issue #35)",
        "",
        f"Measured back to back, figure by figure, by `python -m bench.before_after` at "
        f"{pairs['measured_at']}: before is the tree at `{pairs.get('before_tree', '?')}`, "
        f"after this one, on the same {os.cpu_count()}-CPU machine (load average "
        f"{pairs.get('load_at_start', '?')} at the start, {pairs.get('load_at_end', '?')} at the "
        "end; timings on a shared machine drift by half from run to run, the counts do not). "
        "Both on moto with this tree's fix to it (`local/moto_fixes.py`)."
        + (
            f" Measured again, pair by pair, at that time: {', '.join(again['figures'])}; the "
            f"others at {again['first_run']}."
            if (again := pairs.get("measured_again"))
            else ""
        ),
        "",
        "| figure | before | after | target |",
        "| --- | --- | --- | --- |",
        row(
            "AWS calls, `POST /v1/events` to the first channel call",
            path["before"]["total"],
            path["after"]["total"],
            "≤ 8",
        ),
        row(
            "trigger to first send, median (p95), ms",
            f"{trigger['before']['median']} ({trigger['before']['p95']})",
            f"{trigger['after']['median']} ({trigger['after']['p95']})",
            "≤ 40",
        ),
        row(
            "of which inside AWS calls (moto) / outside them (Tocsin), median ms",
            f"{trigger['before'].get('median_in_aws', '-')} / "
            f"{trigger['before'].get('median_outside_aws', '-')}",
            f"{trigger['after'].get('median_in_aws', '-')} / "
            f"{trigger['after'].get('median_outside_aws', '-')}",
            "",
        ),
    ]
    for channel in ("sms", "email"):
        b, a = fan["before"][channel], fan["after"][channel]
        lines.append(
            row(
                f"fan-out {channel}: share of the quota (lost, twice, throttled)",
                f"{b['quota_efficiency']} ({b['lost']}, {b['duplicates']}, {b['throttled']})",
                f"{a['quota_efficiency']} ({a['lost']}, {a['duplicates']}, {a['throttled']})",
                "≥ 0.98 (0, 0, 0)",
            )
        )
    lines.append(
        row(
            "dispatcher CPU per notification, µs (median)",
            pairs["overhead"]["before"]["median_us"],
            pairs["overhead"]["after"]["median_us"],
            "≤ 40",
        )
    )
    for channel in ("sms", "email"):
        lines.append(
            row(
                f"AWS calls per {channel} notification",
                calls["before"][channel]["actual"],
                calls["after"][channel]["actual"],
                "≤ 1.2",
            )
        )
    lines.append(
        row(
            "`import boto3`, ms (the cold-start yardstick)",
            cold["before"]["boto3_ms"],
            cold["after"]["boto3_ms"],
            "",
        )
    )
    for name, after in cold["after"]["functions"].items():
        before = cold["before"]["functions"].get(name, {})
        lines.append(
            row(
                f"cold start `{name}` (`{after['module']}`), x `import boto3`",
                before.get("ratio", "-"),
                after["ratio"],
                "≤ 1.4",
            )
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (harness check)")
    parser.add_argument("--output", type=Path, default=PROJECT / "bench")
    parser.add_argument(
        "--again", nargs="+", choices=FIGURES, help="measure only these again (the rest: kept)"
    )
    arguments = parser.parse_args()
    earlier = arguments.output / "before_after.json"
    pairs = compare(
        arguments.before.resolve(),
        arguments.quick,
        tuple(arguments.again or FIGURES),
        json.loads(earlier.read_text()) if arguments.again else None,
    )
    (arguments.output / "before_after.json").write_text(json.dumps(pairs, indent=2) + "\n")
    (arguments.output / "BEFORE-AFTER.md").write_text(table(pairs))
    print(table(pairs))


if __name__ == "__main__":
    main()
