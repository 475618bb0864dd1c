"""Synthesise the stack once per session, offline, the way `make synth` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INFRA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(INFRA.parent))  # chalicelib: the table definitions the stack deploys
CONTEXT = {"stage": "test", "senderEmail": "alerts@example.com", "opsEmail": "ops@example.com"}


@dataclass(frozen=True)
class Synthesis:
    template: dict[str, Any]
    path: Path
    seconds: float

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == kind
        }


def synthesise(context: dict[str, str], outdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, str(INFRA / "cdk_app.py")],
        cwd=INFRA,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.monotonic()
    result = synthesise(CONTEXT, outdir)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    path = outdir / "test.template.json"
    return Synthesis(json.loads(path.read_text()), path, seconds)
