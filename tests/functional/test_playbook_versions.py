"""The playbook is applied as numbered versions; the same documents twice change nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from chalicelib.core.errors import NotFound
from chalicelib.settings import Settings
from chalicelib.storage.playbooks import DynamoPlaybookStore
from chalicelib.wiring import Container
from tests.conftest import PROJECT
from tocsin_cli.main import main
from tocsin_cli.policies import read_policy_dir

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(aws: boto3.Session, settings: Settings) -> DynamoPlaybookStore:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    return DynamoPlaybookStore(aws.client("dynamodb"), settings.config_table)


def test_apply_stores_a_version_and_the_same_documents_again_change_nothing(
    store: DynamoPlaybookStore,
) -> None:
    documents = read_policy_dir(PROJECT / "policies")
    first = store.apply(documents.sections, NOW)
    assert (first.version, first.changed) == (1, True)
    assert store.load() == replace(documents.validate(), version=1)
    again = store.apply(documents.sections, NOW)
    assert (again.version, again.changed) == (1, False)
    assert len(store.versions()) == 1


def test_every_change_is_a_new_version_and_old_versions_stay_readable(
    store: DynamoPlaybookStore,
) -> None:
    documents = read_policy_dir(PROJECT / "policies")
    store.apply(documents.sections, NOW)
    smaller = {**documents.sections, "rules": documents.sections["rules"][:1]}
    assert store.apply(smaller, NOW).version == 2
    assert [rule.rule_id for rule in store.load().rules] == ["data-breach-50000"]
    assert store.load().version == 2
    assert len(store.load_version(1).rules) == len(documents.sections["rules"])
    assert store.documents(1) == documents.sections
    with pytest.raises(NotFound):
        store.load_version(9)


def run(services: Container, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--stage", "local", *argv], out=out, services=services), out.getvalue()


def test_the_cli_validates_diffs_applies_and_exports(
    store: DynamoPlaybookStore, aws: boto3.Session, tmp_path: Path
) -> None:
    client = Container(Settings.from_environment(), aws)
    policies = str(PROJECT / "policies")
    code, text = run(client, "policies", "diff", policies)
    assert code == 0
    assert "+ rules data-breach-500: added" in text
    code, text = run(client, "policies", "apply", policies)
    assert (code, text.splitlines()[-2]) == (0, "applied version 1 (was nothing)")
    # New site settings: the dark site's prepared page, written (here: the local bucket).
    assert text.splitlines()[-1].startswith("dark site written: release ")
    assert run(client, "policies", "apply", policies) == (
        0,
        "no changes; version 1 stays current\n",
    )
    assert run(client, "policies", "diff", policies) == (0, "no changes\n")

    changed = tmp_path / "policies"
    changed.mkdir()
    for path in (PROJECT / "policies").glob("*.yaml"):
        text = path.read_text().replace("value: 500", "value: 250")
        (changed / path.name).write_text(text)
    code, text = run(client, "policies", "diff", str(changed))
    assert "~ rules data-breach-500: changed" in text
    assert "-  value: 500" in text and "+  value: 250" in text
    assert run(client, "policies", "apply", str(changed))[1].endswith(
        "applied version 2 (was version 1)\n"
    )
    code, exported = run(client, "policies", "export", "--version", "1")
    assert code == 0
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "all.yaml").write_text(exported)
    assert (
        read_policy_dir(tmp_path / "exported").sections
        == read_policy_dir(PROJECT / "policies").sections
    )
    code, versions = run(client, "policies", "versions")
    assert [line[:4] for line in versions.splitlines()] == ["  v1", "* v2"]


def test_a_malformed_policy_applies_nothing(
    store: DynamoPlaybookStore,
    aws: boto3.Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = Container(Settings.from_environment(), aws)
    for path in (PROJECT / "policies").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    rules = tmp_path / "activation-rules.yaml"
    rules.write_text(rules.read_text().replace("plan: crisis-cell", "plan: crisis-cel", 1))
    code, _ = run(client, "policies", "apply", str(tmp_path))
    assert code == 1
    assert "activation-rules.yaml:15: rules[0].plan: no response plan 'crisis-cel'" in (
        capsys.readouterr().err
    )
    assert store.current_version() is None
