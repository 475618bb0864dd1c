"""The ``tocsin`` command as a newcomer meets it: through the entry point a person runs, with the
endpoint options, clear refusals, and progress on long work."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from chalicelib.settings import Settings
from chalicelib.wiring import Container
from local.stack import free_port
from tests.conftest import PROJECT
from tocsin_cli.main import main

TOCSIN = str(Path(sys.executable).with_name("tocsin"))


def shell(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TOCSIN_"))}
    return subprocess.run(
        [TOCSIN, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        check=False,
    )


def run(world: boto3.Session, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    services = Container(Settings.from_environment(), world)
    return main(list(argv), out=out, services=services, err=err), out.getvalue(), err.getvalue()


def test_version_is_printed() -> None:
    done = shell("--version")
    assert (done.returncode, done.stdout.strip()) == (0, "tocsin 0.1.0")


def test_an_unreachable_stack_names_the_address_and_how_to_start_one() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = shell("--aws-endpoint", nowhere, "keys", "list")
    assert done.returncode == 2
    assert f"cannot reach the AWS endpoint {nowhere}" in done.stderr
    assert "make run" in done.stderr and "TOCSIN_AWS_ENDPOINT" in done.stderr
    by_environment = shell("policies", "versions", env={"TOCSIN_AWS_ENDPOINT": nowhere})
    assert by_environment.returncode == 2 and nowhere in by_environment.stderr


@pytest.mark.parametrize(
    ("option", "value"), [("--aws-endpoint", "localhost:5000"), ("--api", "ftp://example.com")]
)
def test_an_endpoint_that_is_not_a_url_is_refused_before_anything_runs(
    option: str, value: str
) -> None:
    done = shell(option, value, "keys", "list")
    assert done.returncode == 2
    assert f"{option} must be a URL" in done.stderr


def test_help_is_plain_text_without_restructuredtext_markup() -> None:
    for argv in (["--help"], ["keys", "create", "--help"], ["oncall", "show", "--help"]):
        done = shell(*argv)
        assert done.returncode == 0
        assert "``" not in done.stdout, argv
    assert "--aws-endpoint URL" in shell("keys", "list", "--help").stdout


def test_a_key_type_must_be_an_event_type(world: boto3.Session) -> None:
    code, _, err = run(world, "keys", "create", "grafana", "--scope", "trigger", "--type", "outage")
    assert code == 2
    assert "--type 'outage' is not an event type" in err and "'it.outage'" in err
    assert "grafana" not in run(world, "keys", "list")[1]


def test_validate_never_claims_to_have_applied_anything(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("roles:\n  - id: Not An Id\n")
    done = shell("policies", "validate", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().endswith("tocsin: 1 error(s)")
    assert "applied" not in done.stderr


@pytest.mark.parametrize(
    ("file", "quoted", "where"),
    [
        ("activation-rules.yaml", 'to: "18:00"', r"rules\[\d+\]\.active\.windows\[0\]\.to"),
        ("oncall.yaml", 'to: "17:00"', r"oncall\[0\]\.layers\[0\]\.hours\[0\]\.to"),
    ],
)
def test_an_unquoted_time_is_reported_on_its_own_line(
    tmp_path: Path, file: str, quoted: str, where: str
) -> None:
    for path in (PROJECT / "policies").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    text = (tmp_path / file).read_text()
    line = text[: text.index(quoted)].count("\n") + 1
    (tmp_path / file).write_text(text.replace(quoted, quoted.replace('"', ""), 1))
    done = shell("policies", "validate", str(tmp_path))
    assert done.returncode == 1
    assert re.search(rf"{re.escape(file)}:{line}: {where}: must be a quoted time", done.stderr)


def test_versions_count_every_section_of_the_playbook(world: boto3.Session) -> None:
    code, out, _ = run(world, "policies", "versions")
    assert code == 0
    for section in ("rules", "plans", "templates", "oncall", "escalations", "schedules"):
        assert f" {section}" in out, section


def test_a_long_import_shows_its_progress_even_when_redirected(
    world: boto3.Session, tmp_path: Path
) -> None:
    rows = [f"c-p{n},Person {n},hr,en,+1202555{n % 100:02d}{n // 100:02d},," for n in range(250)]
    path = tmp_path / "many.csv"
    path.write_text("contact_id,name,roles,language,phone,email\n" + "\n".join(rows) + "\n")
    code, out, err = run(world, "contacts", "import", str(path))
    assert out.splitlines()[0].startswith("created 250,"), out[:300]
    assert code == 0
    progress = [line for line in err.splitlines() if line.startswith("saved ")]
    assert progress[0] == "saved 25 of 250 contacts"
    assert progress[-1] == "saved 250 of 250 contacts"
    assert len(progress) == 10


def test_apply_shows_that_it_is_storing_and_what_it_stored(world: boto3.Session) -> None:
    code, out, err = run(world, "policies", "apply", str(PROJECT / "policies"))
    assert code == 0
    assert "storing" in err or "no changes" in out


def test_output_cut_short_by_a_pipe_is_not_an_error() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) has already gone
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TOCSIN_"))}
    try:
        done = subprocess.run(
            [TOCSIN, "--help"],
            stdout=write_end,
            capture_output=False,
            stderr=subprocess.PIPE,
            env=clean,
            check=False,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert b"Broken pipe" not in done.stderr and b"Traceback" not in done.stderr
