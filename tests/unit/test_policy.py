"""A wrong playbook is refused with every error, each with its file, line and path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.playbook.document import parse_playbook
from tests.conftest import PROJECT
from tocsin_cli.policies import PolicyErrors, read_policy_dir

ROLES = [{"id": "executive"}, {"id": "legal"}]
PLAN = {"id": "p1", "title": "P", "notify": [{"role": "executive", "channels": ["sms"]}]}
RULE = {"id": "r1", "match": {"types": ["it.outage"]}, "plan": "p1"}
W = {"from": "08:00", "to": "18:00"}
SCHEMA = json.loads((PROJECT / "policies" / "schema" / "tocsin-policy.schema.json").read_text())


def parse(rules: list[Any], plans: list[Any], **more: list[Any]) -> Any:
    return parse_playbook({"roles": ROLES, "plans": plans, "rules": rules, **more})


def test_the_example_playbook_is_valid_and_covers_the_event_families() -> None:
    playbook = read_policy_dir(PROJECT / "policies").validate()
    families = {pattern.split(".")[0] for rule in playbook.rules for pattern in rule.scope.types}
    assert {"cyber", "natural", "it", "health", "supply", "reputation"} <= families
    assert playbook.plans["crisis-cell"].manual is not None
    assert playbook.plans["crisis-cell"].manual.approver_roles == ("executive", "legal")


@pytest.mark.parametrize(
    ("rules", "plans", "path", "words"),
    [
        ([{**RULE, "plan": "nope"}], [PLAN], "rules[0].plan", "no response plan 'nope'"),
        ([RULE, RULE], [PLAN], "rules[1].id", "duplicate id"),
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
            [{**RULE, "conditions": {"any": []}}],
            [PLAN],
            "rules[0].conditions.any",
            "at least one condition",
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
        (
            [RULE],
            [{**PLAN, "notify": [{"role": "legal", "team": "x", "channels": ["sms"]}]}],
            "plans[0].notify[0]",
            "exactly one of role or team",
        ),
        ([RULE], [{"id": "p1", "title": "P"}], "plans[0].notify", "or give an escalation"),
        (
            [RULE],
            [{**PLAN, "manual": {"roles": ["executive"], "approval": {"roles": ["cfo"]}}}],
            "plans[0].manual.approval.roles[0]",
            "unknown role 'cfo'",
        ),
        (
            [{**RULE, "active": {"timezone": "Mars/Olympus", "windows": []}}],
            [PLAN],
            "rules[0].active.timezone",
            "IANA time zone",
        ),
        (
            [{**RULE, "active": {"timezone": "UTC", "windows": [{"from": 480, "to": "18:00"}]}}],
            [PLAN],
            "rules[0].active.windows[0].from",
            "quoted time",
        ),
        (
            [{**RULE, "active": {"timezone": "UTC", "windows": [{"days": ["someday"]} | W]}}],
            [PLAN],
            "rules[0].active.windows[0].days[0]",
            "must be a day",
        ),
        ([{**RULE, "dedup_window": "10 minutes"}], [PLAN], "rules[0].dedup_window", "duration"),
        (
            [{**RULE, "rate_limit": {"count": 0, "per": "10m"}}],
            [PLAN],
            "rules[0].rate_limit.count",
            "at least 1",
        ),
        (
            [{**RULE, "flap": {"activations": 1, "within": "1h"}}],
            [PLAN],
            "rules[0].flap.activations",
            "at least 2",
        ),
        ([{**RULE, "severity": "urgent"}], [PLAN], "rules[0].severity", "must be one of"),
    ],
)
def test_errors_name_the_path(rules: list[Any], plans: list[Any], path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse(rules, plans)
    errors = caught.value.errors if isinstance(caught.value, InvalidPolicies) else [caught.value]
    assert any(e.path == path and words in e.message for e in errors), errors


@pytest.mark.parametrize(
    ("window", "path", "words"),
    [
        (
            {"id": "mw", "start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z"},
            "maintenance[0]",
            "what it covers",
        ),
        (
            {"id": "mw", "start": "2026-01-01T00:00", "end": "2026-01-02T00:00", "scope": {}},
            "maintenance[0].start",
            "needs an offset",
        ),
        (
            {"id": "mw", "start": "2026-01-02T00:00Z", "end": "2026-01-01T00:00Z", "scope": {}},
            "maintenance[0].end",
            "after start",
        ),
        (
            {"id": "mw", "start": "2026-01-01T00:00Z", "end": "2026-03-01T00:00Z", "scope": {}},
            "maintenance[0].end",
            "at most 31 days",
        ),
        (
            {"id": "mw", "start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z", "rules": ["x"]},
            "maintenance[0].rules[0]",
            "no activation rule 'x'",
        ),
    ],
)
def test_maintenance_windows_are_checked(window: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse([RULE], [PLAN], maintenance=[window])
    assert caught.value.path == path
    assert words in caught.value.message


def test_every_error_is_reported_at_once_and_a_broken_plan_is_reported_once() -> None:
    broken_plan = {**PLAN, "notify": [{"role": "ceo", "channels": ["sms"]}]}
    broken_rule = {**RULE, "id": "r2", "match": {"types": ["Bad"], "min_severity": "huge"}}
    with pytest.raises(InvalidPolicies) as caught:
        parse([RULE, broken_rule], [broken_plan])
    paths = [error.path for error in caught.value.errors]
    assert paths == [
        "plans[0].notify[0].role",
        "rules[1].match.types[0]",
        "rules[1].match.min_severity",
    ]


POLICY_WITH_ERRORS = """\
roles:
  - id: executive
plans:
  - id: p1
    title: P
    notify:
      - role: ceo
        channels: [sms]
rules:
  - id: r1
    match:
      types: [it.outage]
      min_severity: huge
    plan: p1
    plan: p1
"""


def test_errors_carry_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "playbook.yaml").write_text(POLICY_WITH_ERRORS)
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path).validate()
    assert [str(error) for error in caught.value.errors] == [
        "playbook.yaml:7: plans[0].notify[0].role: unknown role 'ceo'",
        "playbook.yaml:13: rules[0].match.min_severity: must be one of info, low, medium, high, "
        "critical; got 'huge'",
        "playbook.yaml:15: rules[0].plan: repeated key (YAML keeps only the last)",
    ]


def test_paths_count_within_their_file_when_sections_span_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "roles: [{id: executive}]\nplans: [{id: p1, title: P, notify: [{role: executive, "
        "channels: [sms]}]}]\nrules:\n  - {id: r1, match: {types: [x]}, plan: p1}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - id: r2\n    match: {types: [x]}\n    plan: nope\n"
    )
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path).validate()
    assert [str(e) for e in caught.value.errors] == [
        "b.yaml:4: rules[0].plan: no response plan 'nope'"
    ]


def test_a_broken_yaml_file_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: [\n  - id: x\n   bad")
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path)
    assert str(caught.value.errors[0]).startswith("rules.yaml:2: not valid YAML")


def test_an_unknown_section_is_named(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("rulez: []\n")
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path)
    assert str(caught.value.errors[0]).startswith("x.yaml:1: rulez: unknown section")


# --- the published JSON Schema agrees with the parser -------------------------------------


def test_the_json_schema_is_a_valid_schema_and_accepts_every_example_file() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for path in sorted((PROJECT / "policies").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), SCHEMA)


@pytest.mark.parametrize(
    "document",
    [
        {"rules": [{**RULE, "colour": 1}]},
        {"rules": [{**RULE, "match": {"types": ["it.outage"], "min_severity": "huge"}}]},
        {"rules": [{**RULE, "dedup_window": "10 minutes"}]},
        {"rules": [{**RULE, "conditions": [{"metric": "m", "op": "=>", "value": 1}]}]},
        {"plans": [{**PLAN, "notify": [{"role": "legal", "channels": ["pigeon"]}]}]},
        {"maintenance": [{"id": "mw", "start": "x"}]},
        {"rulez": []},
    ],
)
def test_the_json_schema_refuses_what_the_parser_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_broadcast_is_not_a_channel_for_people() -> None:
    plan = {**PLAN, "notify": [{"role": "executive", "channels": ["broadcast"]}]}
    with pytest.raises(InvalidPolicy) as caught:
        parse([RULE], [plan])
    assert "name audiences under 'statements'" in str(caught.value)
    with pytest.raises(InvalidPolicy, match="was replaced by statements"):
        parse([RULE], [{**PLAN, "inform_stakeholders": True}])
