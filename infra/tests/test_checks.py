"""The template passes cfn-lint and checkov; every checkov skip says why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Synthesis

BIN = Path(sys.executable).parent


def test_cfn_lint_finds_nothing(synthesis: Synthesis) -> None:
    result = subprocess.run(
        [str(BIN / "cfn-lint"), str(synthesis.path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_fails_no_check(synthesis: Synthesis) -> None:
    result = subprocess.run(
        [
            str(BIN / "checkov"),
            "-f",
            str(synthesis.path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        (check["check_id"], check["resource"]) for check in report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, failed
    assert summary["passed"] >= 70


def test_every_skip_is_justified(synthesis: Synthesis) -> None:
    skips = [
        skip
        for resource in synthesis.template["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for skip in skips:
        assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 30, skip
