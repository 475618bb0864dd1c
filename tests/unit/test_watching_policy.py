"""Heartbeats and canaries in the playbook: what validation accepts, what it refuses and why,
and the JSON Schema agreeing with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.model import Channel, Severity
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.playbook.watching import Canary
from tests.conftest import PROJECT
from tocsin_cli.policies import PolicyErrors, read_policy_dir

SCHEMA = json.loads((PROJECT / "policies" / "schema" / "tocsin-policy.schema.json").read_text())
BEAT = {"id": "nightly-backup", "every": "1d", "grace": "2h"}
CANARY = {"id": "hourly", "every": "1h", "contacts": ["c-canary"]}


def errors_of(**sections: list[Any]) -> list[InvalidPolicy]:
    with pytest.raises(InvalidPolicy) as caught:
        parse_playbook(sections)
    error = caught.value
    return list(error.errors) if isinstance(error, InvalidPolicies) else [error]


def test_the_example_playbook_declares_heartbeats_and_a_canary_with_rules_for_them() -> None:
    playbook = read_policy_dir(PROJECT / "policies").validate()
    beat = playbook.heartbeats["nightly-backup"]
    assert (beat.every, beat.grace, beat.severity) == (
        timedelta(days=1),
        timedelta(hours=2),
        Severity.HIGH,
    )
    assert playbook.heartbeats["monitoring-watchdog"].severity is Severity.CRITICAL
    [canary] = playbook.canaries
    assert canary.contacts == ("c-canary",) and canary.receipt_within == timedelta(minutes=15)
    for event_type in ("heartbeat.missed", "canary.failed"):
        [rule] = playbook.rules_for_type(event_type)
        assert playbook.plans[rule.plan_id].escalation == "it-major"


def test_a_heartbeat_is_read_with_its_defaults() -> None:
    beat = parse_playbook({"heartbeats": [BEAT]}).heartbeats["nightly-backup"]
    assert beat.severity is Severity.HIGH and beat.labels == {}
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert beat.overdue_at(at) == datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize("zero", ["0m", "0s", "00h", "0", 0])
def test_a_heartbeat_with_a_zero_interval_is_refused_with_a_clear_reason(zero: Any) -> None:
    [error] = errors_of(heartbeats=[{**BEAT, "every": zero}])
    assert error.path == "heartbeats[0].every"
    assert error.message.startswith("must be longer than zero")


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"every": "30s"}, "heartbeats[0].every", "at least 1m"),
        ({"every": "daily"}, "heartbeats[0].every", "must be a duration"),
        ({"grace": "-5m"}, "heartbeats[0].grace", "must be a duration"),
        ({"severity": "urgent"}, "heartbeats[0].severity", "must be one of"),
        ({"labels": {"heartbeat": "x"}}, "heartbeats[0].labels.heartbeat", "set by Tocsin"),
        ({"labels": {"bad name": "x"}}, "heartbeats[0].labels.bad name", "letters, digits"),
        ({"labels": {"team": 7}}, "heartbeats[0].labels.team", "must be a string"),
        ({"id": "Nightly Backup"}, "heartbeats[0].id", "is not an id"),
        ({"interval": "1d"}, "heartbeats[0].interval", "unknown field"),
    ],
)
def test_a_wrong_heartbeat_is_refused_at_its_path(
    change: dict[str, Any], path: str, words: str
) -> None:
    errors = errors_of(heartbeats=[{**BEAT, **change}])
    assert any(e.path == path and words in e.message for e in errors), errors


def test_a_zero_grace_is_allowed_but_a_missing_one_is_not() -> None:
    beat = parse_playbook({"heartbeats": [{**BEAT, "grace": "0m"}]}).heartbeats["nightly-backup"]
    assert beat.grace == timedelta(0)
    [error] = errors_of(heartbeats=[{"id": "x", "every": "1h"}])
    assert (error.path, error.message) == ("heartbeats[0].grace", "is required")


def test_two_heartbeats_with_one_id_are_refused() -> None:
    [error] = errors_of(heartbeats=[BEAT, {**BEAT, "every": "2d"}])
    assert error.path == "heartbeats[1].id" and "duplicate" in error.message


def test_a_canary_is_read_and_watches_the_configured_channels_that_report_back() -> None:
    [canary] = parse_playbook({"canaries": [CANARY]}).canaries
    assert canary.receipt_within == timedelta(minutes=15)
    assert canary.watched(frozenset(Channel)) == (Channel.SMS, Channel.EMAIL, Channel.VOICE)
    assert canary.watched(frozenset({Channel.EMAIL, Channel.PUSH})) == (Channel.EMAIL,)
    listed = parse_playbook({"canaries": [{**CANARY, "channels": ["voice"]}]}).canaries[0]
    assert listed.watched(frozenset({Channel.SMS})) == ()


def test_canary_rounds_start_on_whole_multiples_of_their_interval() -> None:
    hourly = Canary("c", timedelta(hours=1), ("c-canary",))
    assert hourly.round_start(datetime(2026, 12, 2, 3, 17, 5, tzinfo=UTC)) == datetime(
        2026, 12, 2, 3, 0, tzinfo=UTC
    )
    every_ten = Canary("c", timedelta(minutes=10), ("c-canary",))
    assert every_ten.round_start(datetime(2026, 12, 2, 3, 59, 59, tzinfo=UTC)) == datetime(
        2026, 12, 2, 3, 50, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"every": "1m"}, "canaries[0].every", "at least 5m"),
        ({"contacts": []}, "canaries[0].contacts", "1 to 10"),
        ({"contacts": ["c-a", "c-a"]}, "canaries[0].contacts", "twice"),
        ({"channels": ["push"]}, "canaries[0].channels[0]", "push reports no delivery"),
        ({"channels": ["fax"]}, "canaries[0].channels[0]", "must be one of"),
        ({"channels": ["broadcast"]}, "canaries[0].channels[0]", "sms, email, voice"),
        ({"channels": []}, "canaries[0].channels", "at least one"),
        ({"receipt_within": "1h"}, "canaries[0].receipt_within", "shorter than 'every'"),
        ({"receipt_within": "30s"}, "canaries[0].receipt_within", "at least 1m"),
        ({"receipt_within": "soon"}, "canaries[0].receipt_within", "must be a duration"),
    ],
)
def test_a_wrong_canary_is_refused_at_its_path(
    change: dict[str, Any], path: str, words: str
) -> None:
    errors = errors_of(canaries=[{**CANARY, **change}])
    assert any(e.path == path and words in e.message for e in errors), errors


def test_validate_reports_a_zero_interval_at_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "watching.yaml").write_text(
        "heartbeats:\n  - id: backup\n    every: 0m\n    grace: 5m\n"
    )
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path).validate()
    [error] = caught.value.errors
    assert str(error).startswith("watching.yaml:3: heartbeats[0].every: must be longer than zero")


@pytest.mark.parametrize(
    "document",
    [
        {"heartbeats": [{**BEAT, "every": "0m"}]},
        {"heartbeats": [{"id": "x", "every": "1h"}]},
        {"heartbeats": [{**BEAT, "labels": {"heartbeat": "x"}}]},
        {"canaries": [{**CANARY, "channels": ["push"]}]},
        {"canaries": [{**CANARY, "contacts": []}]},
        {"canaries": [{**CANARY, "colour": "red"}]},
    ],
)
def test_the_json_schema_refuses_what_validation_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_the_json_schema_accepts_a_zero_grace() -> None:
    jsonschema.validate({"heartbeats": [{**BEAT, "grace": "0m"}]}, SCHEMA)
