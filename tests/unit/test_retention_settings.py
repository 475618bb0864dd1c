"""The playbook's settings: how long each kind of record is kept, with documented defaults."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from chalicelib.core.errors import InvalidPolicies
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.playbook.retention import KINDS, Retention
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

SCHEMA = json.loads((PROJECT / "policies" / "schema" / "tocsin-policy.schema.json").read_text())
README = (PROJECT / "policies" / "README.md").read_text()


def test_without_settings_every_kind_keeps_its_documented_default() -> None:
    retention = parse_playbook({}).retention
    assert retention == Retention()
    assert retention.describe() == {
        "incidents": "400d",
        "events": "90d",
        "links": "30d",
        "message_ids": "30d",
        "audit": "731d",
    }
    for kind, period in retention.describe().items():  # the docs say the same
        assert re.search(rf"\| `{kind}` \|[^\n]*\| {period} \|", README), kind


def test_the_example_playbook_states_every_period_and_they_are_the_defaults() -> None:
    documents = read_policy_dir(PROJECT / "policies")
    [retention] = [doc for doc in documents.sections["settings"] if doc["id"] == "retention"]
    assert set(retention) == {"id", *KINDS}
    assert documents.validate().retention == Retention()


def test_periods_are_read_and_an_absent_one_keeps_its_default() -> None:
    settings = {"id": "retention", "incidents": "2000d", "audit": "1826d", "links": "2d"}
    playbook = parse_playbook({"settings": [settings]})
    assert playbook.retention == Retention(
        incidents=timedelta(days=2000),
        audit=timedelta(days=1826),
        links=timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"id": "retention", "incidents": "forever"}, "settings[0].incidents", "a duration"),
        ({"id": "retention", "incidents": "7d"}, "settings[0].incidents", "at least 30d"),
        ({"id": "retention", "audit": "30d"}, "settings[0].audit", "at least 90d"),
        ({"id": "retention", "events": "1h"}, "settings[0].events", "at least 1d"),
        ({"id": "retention", "event": "90d"}, "settings[0].event", "unknown field"),
        ({"id": "retension"}, "settings[0].id", "unknown settings"),
        ({"incidents": "400d"}, "settings[0].id", "is required"),
        ("retention", "settings[0]", "must be a mapping"),
    ],
)
def test_bad_settings_are_named_by_their_path(document: Any, path: str, words: str) -> None:
    with pytest.raises(InvalidPolicies) as caught:
        parse_playbook({"settings": [document]})
    assert [(e.path, words in e.message) for e in caught.value.errors] == [(path, True)]


def test_every_bad_period_is_reported_at_once_and_a_second_retention_is_refused() -> None:
    with pytest.raises(InvalidPolicies) as caught:
        bad = {"id": "retention", "incidents": "1d", "audit": "x"}
        parse_playbook({"settings": [bad, {"id": "retention"}]})
    assert [e.path for e in caught.value.errors] == [
        "settings[0].incidents",
        "settings[0].audit",
        "settings[1].id",
    ]
    with pytest.raises(InvalidPolicies, match="must be a list"):
        parse_playbook({"settings": {"id": "retention"}})


@pytest.mark.parametrize(
    "document",
    [
        {"settings": [{"id": "retention", "incidents": "forever"}]},
        {"settings": [{"id": "retention", "event": "90d"}]},
        {"settings": [{"id": "retension"}]},
        {"settings": {"id": "retention"}},
    ],
)
def test_the_json_schema_refuses_what_the_parser_refuses(document: Any) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
