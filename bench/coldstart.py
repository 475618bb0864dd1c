"""Cold start: the wall time to import the Lambda handler module in a fresh interpreter, beside a
bare ``import boto3`` measured the same way in the same run (median of several)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
_TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_ms(module: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        output = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
            [sys.executable, "-X", "frozen_modules=on", "-c", _TIMER.format(module=module)],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]) * 1000)
    return statistics.median(samples)


def measure(runs: int = 7) -> dict[str, float]:
    import_ms("app", 1)  # the first run fills the bytecode cache, as a deployed package has it
    handler = import_ms("app", runs)
    boto3 = import_ms("boto3", runs)
    return {
        "handler_ms": round(handler, 1),
        "boto3_ms": round(boto3, 1),
        "ratio": round(handler / boto3, 2),
        "runs": runs,
    }


if __name__ == "__main__":
    print(measure())
