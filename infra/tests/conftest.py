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
# The same stage with End User Messaging identities (SMS through a pool, voice from a number).
ORIGINATION_CONTEXT = {
    **CONTEXT,
    "smsOriginationArn": "arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123456789abcdef",
    "voiceOriginationArn": (
        "arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-0123456789abcdef"
    ),
}


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


def synthesised(context: dict[str, str], outdir: Path) -> Synthesis:
    started = time.monotonic()
    result = synthesise(context, outdir)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    path = outdir / f"{context['stage']}.template.json"
    return Synthesis(json.loads(path.read_text()), path, seconds)


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesised(CONTEXT, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def origination_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesised(ORIGINATION_CONTEXT, tmp_path_factory.mktemp("cdk.out"))
