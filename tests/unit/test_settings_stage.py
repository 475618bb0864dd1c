"""The stage is never guessed: without TOCSIN_STAGE, or with the local stage inside AWS Lambda,
the settings refuse to exist, so no function can fall back to the local key or link secret."""

from __future__ import annotations

import pytest

from chalicelib.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "environment",
    [{}, {"TOCSIN_STAGE": ""}, {"TOCSIN_STAGE": "   "}],
    ids=["unset", "empty", "blank"],
)
def test_settings_refuse_to_exist_without_a_stage(environment: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="TOCSIN_STAGE is not set"):
        Settings.from_environment(environment)


def test_the_local_stage_refuses_to_run_inside_aws_lambda() -> None:
    with pytest.raises(SettingsError, match="inside AWS Lambda"):
        Settings.from_environment(
            {"TOCSIN_STAGE": "local", "AWS_LAMBDA_FUNCTION_NAME": "tocsin-prod-api"}
        )


def test_a_deployed_stage_in_lambda_has_no_local_key_or_link_secret() -> None:
    settings = Settings.from_environment(
        {"TOCSIN_STAGE": "prod", "AWS_LAMBDA_FUNCTION_NAME": "tocsin-prod-api"}
    )
    assert (settings.stage, settings.local_api_key, settings.link_secret) == ("prod", None, None)


def test_the_local_stage_outside_lambda_has_the_local_key() -> None:
    settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
    assert settings.is_local and settings.local_api_key == "local-dev-key"
