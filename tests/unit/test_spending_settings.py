"""The budget and price settings: documented defaults, every bad value named at its path, and
the published JSON Schema refusing what the parser refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chalicelib.core.errors import InvalidPolicies
from chalicelib.core.model import Channel
from chalicelib.core.playbook.budget import DEFAULT_PER_HOUR, ChannelBudget
from chalicelib.core.playbook.document import Playbook, parse_playbook
from chalicelib.core.playbook.prices import BUILT_IN_COUNTRIES, DEFAULT_PRICES
from tests.conftest import PROJECT
from tocsin_cli.policies import PolicyErrors, read_policy_dir

ROLES = [{"id": "executive"}, {"id": "legal"}]
SCHEMA = json.loads((PROJECT / "policies" / "schema" / "tocsin-policy.schema.json").read_text())
PRICES = {"id": "prices", "source": "test figures, 2026"}


def playbook(*settings: Any) -> Playbook:
    return parse_playbook({"roles": ROLES, "settings": list(settings)})


def problems(*settings: Any) -> list[str]:
    with pytest.raises(InvalidPolicies) as caught:
        playbook(*settings)
    return [f"{error.path}: {error.message}" for error in caught.value.errors]


def test_without_settings_the_documented_defaults_apply() -> None:
    spending = parse_playbook({}).spending
    budget = spending.budget
    assert budget.limit(Channel.SMS) == ChannelBudget(300, 600)
    assert budget.limit(Channel.VOICE) == ChannelBudget(60, 180)
    assert budget.limit(Channel.EMAIL) == ChannelBudget(2000)
    assert budget.limit(Channel.PUSH) == ChannelBudget(5000)
    assert budget.limit(Channel.BROADCAST) == ChannelBudget(30)
    assert budget.release_role is None and budget.reserve == 10
    assert budget.release_channels == (Channel.SMS, Channel.EMAIL)
    assert budget.estimate_above == 100
    assert spending.prices.price(Channel.SMS, "+12025550101") == (0.0088, "+1")
    assert spending.prices.price(Channel.SMS, "+4512345678") == (0.05, "default")
    assert spending.prices.price(Channel.EMAIL, "ada@example.com") == (0.0001, "default")
    assert "estimates" in spending.prices.source and "2025" in spending.prices.source


def test_the_readme_states_the_defaults_the_code_applies() -> None:
    """policies/README.md's table of defaults is the code's, number for number."""
    readme = (PROJECT / "policies" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The message budget and prices", 1)[1].split("\n## ", 1)[0]
    for channel, limit in DEFAULT_PER_HOUR.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{channel}` "))
        numbers = [int(n.replace(",", "")) for n in re.findall(r"\b\d[\d,]*\b", row)]
        assert numbers[: 2 if limit.units else 1] == [
            limit.messages,
            *([limit.units] if limit.units else []),
        ], row
        prices = [float(p) for p in re.findall(r"\$(\d+\.\d+)", row)]
        assert prices[0] == DEFAULT_PRICES[channel], row
        if channel in BUILT_IN_COUNTRIES["+1"]:
            assert prices[1] == BUILT_IN_COUNTRIES["+1"][channel], row


def test_a_budget_overrides_only_what_it_names() -> None:
    spending = playbook(
        {"id": "budget", "per_hour": {"sms": {"messages": 20}}, "release": {"role": "legal"}},
        {**PRICES, "countries": {"+45": {"sms": 0.04}, "+4520": {"sms": 0.07}}},
    ).spending
    assert spending.budget.limit(Channel.SMS) == ChannelBudget(20, 600)  # parts: the default
    assert spending.budget.limit(Channel.EMAIL) == DEFAULT_PER_HOUR[Channel.EMAIL]
    assert spending.budget.release_role == "legal"
    prices = spending.prices
    assert prices.price(Channel.SMS, "+4520123456") == (0.07, "+4520")  # the longest prefix
    assert prices.price(Channel.SMS, "+4530123456") == (0.04, "+45")
    assert prices.price(Channel.VOICE, "+4530123456") == (0.10, "default")  # no voice row
    assert prices.source == "test figures, 2026"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"id": "budget", "per_hour": {"sms": {"messages": 0}}},
            "settings[0].per_hour.sms.messages: must be at least 1; a budget of zero would "
            "hold every message (leave the channel out of plans instead)",
        ),
        (
            {"id": "budget", "per_hour": {"voice": {"messages": 5, "minutes": 0}}},
            "settings[0].per_hour.voice.minutes: must be at least 1; a budget of zero",
        ),
        (
            {"id": "budget", "per_hour": {"sms": {"messages": -3}}},
            "settings[0].per_hour.sms.messages: must be a whole number of at least 1",
        ),
        (
            {"id": "budget", "per_hour": {"fax": {"messages": 5}}},
            "settings[0].per_hour.fax: unknown channel 'fax'; expected sms, email, voice, push, "
            "broadcast",
        ),
        (
            {"id": "budget", "per_hour": {"email": {"messages": 5, "parts": 9}}},
            "settings[0].per_hour.email.parts: unknown field",
        ),
        (
            {"id": "budget", "release": {"role": "ceo"}},
            "settings[0].release.role: unknown role 'ceo'",
        ),
        (
            {"id": "budget", "release": {"role": "legal", "channels": ["broadcast"]}},
            "settings[0].release.channels: broadcast reaches a topic, not the release role",
        ),
        ({"id": "budget", "release": {"reserve": 0}}, "settings[0].release.reserve: must be"),
        ({"id": "budget", "colour": "red"}, "settings[0].colour: unknown field"),
        (
            {**PRICES, "default": {"sms": -0.01}},
            "settings[0].default.sms: must not be negative; got -0.01",
        ),
        (
            {**PRICES, "countries": {"+45": {"voice": "cheap"}}},
            "settings[0].countries.+45.voice: must be a price in USD such as 0.0088; got 'cheap'",
        ),
        (
            {**PRICES, "countries": {"+45": {"pigeon": 1}}},
            "settings[0].countries.+45.pigeon: unknown channel 'pigeon'",
        ),
        (
            {**PRICES, "countries": {"45": {"sms": 0.04}}},
            "settings[0].countries.45: must be a country prefix such as '+45'",
        ),
        ({"id": "prices"}, "settings[0].source: is required"),
        ({**PRICES, "source": "  "}, "settings[0].source: say where the prices come from"),
        ({"id": "retention-policy"}, "settings[0].id: unknown settings 'retention-policy'"),
    ],
)
def test_bad_settings_are_refused_at_their_path(document: dict[str, Any], expected: str) -> None:
    found = problems(document)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_problem_of_the_settings_is_reported_at_once() -> None:
    found = problems(
        {"id": "budget", "per_hour": {"sms": {"messages": 0}, "fax": {"messages": 1}}},
        {**PRICES, "default": {"email": -1}},
        {"id": "budget"},
    )
    assert [problem.split(":")[0] for problem in found] == [
        "settings[0].per_hour.sms.messages",
        "settings[0].per_hour.fax",
        "settings[1].default.email",
        "settings[2].id",
    ]
    assert "duplicate id 'budget'" in found[-1]


def test_settings_errors_carry_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "roles.yaml").write_text("roles: [{id: executive}]\n")
    (tmp_path / "budget.yaml").write_text(
        "settings:\n"
        "  - id: budget\n"
        "    per_hour:\n"
        "      sms: {messages: 0}\n"
        "  - id: prices\n"
        "    source: x\n"
        "    default:\n"
        "      voice: -2\n"
    )
    with pytest.raises(PolicyErrors) as caught:
        read_policy_dir(tmp_path).validate()
    assert [str(error).split(": ", 2)[:2] for error in caught.value.errors] == [
        ["budget.yaml:4", "settings[0].per_hour.sms.messages"],
        ["budget.yaml:8", "settings[1].default.voice"],
    ]


def test_the_example_playbook_names_a_release_role_and_states_its_prices_source() -> None:
    spending = read_policy_dir(PROJECT / "policies").validate().spending
    assert spending.budget.release_role == "executive"
    assert "2025" in spending.prices.source and "AWS" in spending.prices.source


@pytest.mark.parametrize(
    "settings",
    [
        {"id": "budget", "per_hour": {"sms": {"messages": 0}}},
        {"id": "budget", "per_hour": {"fax": {"messages": 5}}},
        {"id": "budget", "per_hour": {"email": {"messages": 5, "parts": 9}}},
        {"id": "budget", "release": {"channels": ["broadcast"]}},
        {**PRICES, "default": {"sms": -0.01}},
        {**PRICES, "countries": {"45": {"sms": 0.04}}},
        {"id": "prices"},
        {"id": "retention-policy"},
    ],
)
def test_the_json_schema_refuses_what_the_parser_refuses(settings: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"settings": [settings]}, SCHEMA)
