"""A wrong playbook is refused with the path of the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.policy import parse_playbook
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

ROLES = [{"id": "executive"}, {"id": "legal"}]
PLAN = {"id": "p1", "title": "P", "notify": [{"role": "executive", "channels": ["sms"]}]}
RULE = {"id": "r1", "match": {"types": ["it.outage"]}, "plan": "p1"}


def test_the_example_playbook_is_valid() -> None:
    playbook = read_policy_dir(PROJECT / "policies").validate()
    assert len(playbook.rules) >= 4
    assert "crisis-cell" in playbook.plans


@pytest.mark.parametrize(
    ("rules", "plans", "path", "words"),
    [
        ([{**RULE, "plan": "nope"}], [PLAN], "rules[0].plan", "no response plan 'nope'"),
        ([RULE, RULE], [PLAN], "rules[1].id", "duplicate rule id"),
        ([{**RULE, "colour": 1}], [PLAN], "rules[0].colour", "unknown field"),
        ([{**RULE, "match": {"types": []}}], [PLAN], "rules[0].match.types", "at least one"),
        ([{**RULE, "match": {"types": ["Bad Type"]}}], [PLAN], "rules[0].match.types[0]", "not an"),
        (
            [{**RULE, "match": {"types": ["x"], "min_severity": "huge"}}],
            [PLAN],
            "rules[0].match.min_severity",
            "must be one of",
        ),
        (
            [{**RULE, "conditions": [{"metric": "m", "op": "=>", "value": 1}]}],
            [PLAN],
            "rules[0].conditions[0].op",
            "must be one of",
        ),
        (
            [{**RULE, "conditions": [{"metric": "m", "op": ">", "value": "5"}]}],
            [PLAN],
            "rules[0].conditions[0].value",
            "must be a number",
        ),
        (
            [RULE],
            [{**PLAN, "notify": [{"role": "ceo", "channels": ["sms"]}]}],
            "plans[0].notify[0].role",
            "unknown role 'ceo'",
        ),
        (
            [RULE],
            [{**PLAN, "notify": [{"role": "legal", "channels": ["pigeon"]}]}],
            "plans[0].notify[0].channels[0]",
            "must be one of sms, email",
        ),
        ([RULE], [{"id": "p1", "title": "P"}], "plans[0].notify", "is required"),
    ],
)
def test_errors_name_the_path(rules: list[Any], plans: list[Any], path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_playbook(rules, plans, ROLES)
    assert caught.value.path == path
    assert words in caught.value.message


def test_a_broken_yaml_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: [\n  - id: x\n   bad")
    with pytest.raises(InvalidPolicy) as caught:
        read_policy_dir(tmp_path)
    assert caught.value.path == "rules.yaml"


def test_an_unknown_section_is_named(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("rulez: []\n")
    with pytest.raises(InvalidPolicy, match=r"x\.yaml: rulez"):
        read_policy_dir(tmp_path)
