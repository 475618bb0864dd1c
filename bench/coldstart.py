"""Cold start: the wall time to import the Lambda handler module in a fresh interpreter, beside a
bare ``import boto3`` measured the same way in the same run (median of several); and what
Powertools Metrics costs in it: its import (Python's own -X importtime), and writing the figures
of a first invocation, then of a warm one.

Per function (``functions``): Lambda imports the module its handler string names, which Chalice
sets per function: ``app`` for the API, the blueprint's own module for every other function
(``chalicelib.handlers.queues`` for the evaluator and the dispatcher, ...). Each is measured
alone, and the heaviest modules of its import (``-X importtime``, cumulative) are listed."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
_TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
# Bytecode is cached, as in a deployed package (a shell's PYTHONDONTWRITEBYTECODE would time
# the compiler instead).
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def import_ms(module: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        output = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
            [sys.executable, "-X", "frozen_modules=on", "-c", _TIMER.format(module=module)],
            cwd=PROJECT,
            env=_ENV,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]) * 1000)
    return statistics.median(samples)


# Every figure for every dimension value: the most one invocation writes (a busy dispatch).
_FLUSHES = """
import contextlib, io, time
import app
from chalicelib.core.telemetry import FIGURES
from chalicelib.observability import metrics

def invocation():
    for figure in FIGURES:
        for value in figure.values or (None,):
            metrics.record(figure, 1, value)
    with contextlib.redirect_stdout(io.StringIO()):
        metrics.flush("bench")

started = time.perf_counter(); invocation(); first = time.perf_counter() - started
started = time.perf_counter(); invocation(); warm = time.perf_counter() - started
print(first, warm)
"""


def _run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, fixed snippets
        [sys.executable, "-X", "frozen_modules=on", *arguments],
        cwd=PROJECT,
        env=_ENV,
        capture_output=True,
        text=True,
        check=True,
    )


def metrics_import_ms(runs: int) -> float:
    """The cumulative import time of ``aws_lambda_powertools.metrics`` within ``import app``."""
    samples = []
    line = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|\s+aws_lambda_powertools\.metrics$")
    for _ in range(runs):
        report = _run(["-X", "importtime", "-c", "import app"]).stderr
        found = [int(m.group(1)) for m in map(line.match, report.splitlines()) if m]
        samples.append(sum(found) / 1000)
    return statistics.median(samples)


def metrics_flushes_ms(runs: int) -> tuple[float, float]:
    """Writing every figure at the end of a first, then of a warm invocation."""
    pairs = [tuple(map(float, _run(["-c", _FLUSHES]).stdout.split()[-2:])) for _ in range(runs)]
    return (
        statistics.median(pair[0] for pair in pairs) * 1000,
        statistics.median(pair[1] for pair in pairs) * 1000,
    )


_HANDLERS = """
import json
from app import app
found = {"api_handler": "app"}
for function in [*app.pure_lambda_functions, *app.event_sources]:
    found[function.name] = function.handler_string.rsplit(".", 1)[0]
print(json.dumps(found))
"""


def handler_modules() -> dict[str, str]:
    """Each function's name and the module its Lambda handler imports."""
    return dict(json.loads(_run(["-c", _HANDLERS]).stdout.splitlines()[-1]))


def heaviest(module: str, count: int = 5) -> list[tuple[str, float]]:
    """The packages (and Tocsin's composition, ``chalicelib.wiring``) that cost ``module``'s
    import the most (ms, cumulative)."""
    line = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$")
    report = _run(["-X", "importtime", "-c", f"import {module}"]).stderr
    found = [m for m in map(line.match, report.splitlines()) if m]
    tops = {
        m.group(3): int(m.group(1)) / 1000
        for m in found
        if m.group(3) != module and ("." not in m.group(3) or m.group(3) == "chalicelib.wiring")
    }
    return sorted(tops.items(), key=lambda item: -item[1])[:count]


def functions(runs: int, boto3: float) -> dict[str, Any]:
    modules = handler_modules()
    timed = {module: import_ms(module, runs) for module in sorted(set(modules.values()))}
    return {
        name: {
            "module": module,
            "import_ms": round(timed[module], 1),
            "ratio": round(timed[module] / boto3, 2),
            "heaviest_ms": {name: round(ms, 1) for name, ms in heaviest(module)},
        }
        for name, module in sorted(modules.items())
    }


def measure(runs: int = 7) -> dict[str, Any]:
    for module in ("app", *set(handler_modules().values())):  # fills the bytecode cache
        import_ms(module, 1)
    handler = import_ms("app", runs)
    boto3 = import_ms("boto3", runs)
    per_function = functions(runs, boto3)
    metrics_import = metrics_import_ms(runs)
    first_flush, warm_flush = metrics_flushes_ms(runs)
    return {
        "handler_ms": round(handler, 1),
        "boto3_ms": round(boto3, 1),
        "ratio": round(handler / boto3, 2),
        "runs": runs,
        "functions": per_function,
        "metrics": {
            "import_ms": round(metrics_import, 1),
            "share_of_handler_import": round(metrics_import / handler, 3),
            "first_flush_ms": round(first_flush, 2),
            "warm_flush_ms": round(warm_flush, 2),
        },
    }


if __name__ == "__main__":
    print(measure())
