"""Deployment parameters are checked before anything is synthesised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tocsin_infra.settings import DeploymentSettings

from tests.conftest import synthesise


class Context:
    def __init__(self, **values: Any) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


def test_defaults_for_what_may_default() -> None:
    settings = DeploymentSettings.from_context(Context(stage="prod", senderEmail="a@example.com"))
    assert (settings.prefix, settings.sender_domain, settings.log_retention_days) == (
        "tocsin-prod",
        "example.com",
        90,
    )
    assert settings.ops_email is None


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"senderEmail": "a@example.com"}, "set the stage"),
        ({"stage": "Prod!", "senderEmail": "a@example.com"}, "set the stage"),
        ({"stage": "prod"}, "senderEmail"),
        ({"stage": "prod", "senderEmail": "a@example.com", "logRetentionDays": 10}, "one of"),
        ({"stage": "prod", "senderEmail": "a@example.com", "opsEmail": "nobody"}, "opsEmail"),
    ],
)
def test_a_missing_or_bad_parameter_is_named(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        DeploymentSettings.from_context(Context(**values))


def test_synth_without_parameters_says_what_to_set(tmp_path: Path) -> None:
    result = synthesise({}, tmp_path)
    assert result.returncode != 0
    assert "set the stage: -c stage=NAME" in result.stderr
