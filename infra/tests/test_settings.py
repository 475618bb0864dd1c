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
    assert (settings.dispatch_concurrency, settings.reserved_concurrency) == (5, None)
    assert (settings.sms_status_log_groups, settings.sms_through_sns) == ("create", True)
    assert not settings.has_origination_identities


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"senderEmail": "a@example.com"}, "set the stage"),
        ({"stage": "Prod!", "senderEmail": "a@example.com"}, "set the stage"),
        ({"stage": "prod"}, "senderEmail"),
        ({"stage": "prod", "senderEmail": "a@example.com", "logRetentionDays": 10}, "one of"),
        ({"stage": "prod", "senderEmail": "a@example.com", "opsEmail": "nobody"}, "opsEmail"),
        (
            {"stage": "prod", "senderEmail": "a@example.com", "smsOriginationArn": "+12025550199"},
            "smsOriginationArn must be the ARN",
        ),
        (
            {"stage": "prod", "senderEmail": "a@example.com", "dispatchConcurrency": 1},
            "dispatchConcurrency must be 2 to 1000",
        ),
        (
            {"stage": "prod", "senderEmail": "a@example.com", "dispatchConcurrency": "many"},
            "dispatchConcurrency must be a whole number",
        ),
        (
            {
                "stage": "prod",
                "senderEmail": "a@example.com",
                "dispatchConcurrency": 10,
                "reservedConcurrency": 5,
            },
            "reservedConcurrency must be at least dispatchConcurrency",
        ),
        (
            {"stage": "prod", "senderEmail": "a@example.com", "evaluateConcurrency": 1001},
            "evaluateConcurrency must be 2 to 1000",
        ),
        (
            {
                "stage": "prod",
                "senderEmail": "a@example.com",
                "evaluateConcurrency": 9,
                "reservedConcurrency": 8,
            },
            "reservedConcurrency must be at least dispatchConcurrency and evaluateConcurrency",
        ),
        (
            {"stage": "prod", "senderEmail": "a@example.com", "smsStatusLogGroups": "maybe"},
            "smsStatusLogGroups must be one of create, existing",
        ),
    ],
)
def test_a_missing_or_bad_parameter_is_named(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        DeploymentSettings.from_context(Context(**values))


def test_synth_without_parameters_says_what_to_set(tmp_path: Path) -> None:
    result = synthesise({}, tmp_path)
    assert result.returncode != 0
    assert "set the stage: -c stage=NAME" in result.stderr


SMS_ARN = "arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-0123456789abcdef"
POOL_ARN = "arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123456789abcdef"


def test_end_user_messaging_identities_switch_sms_and_enable_voice(tmp_path: Path) -> None:
    import json

    context = {
        "stage": "test",
        "senderEmail": "alerts@example.com",
        "smsOriginationArn": POOL_ARN,
        "voiceOriginationArn": SMS_ARN,
        "pushApplicationId": "abc123",
    }
    result = synthesise(context, tmp_path)
    assert result.returncode == 0, result.stderr
    template = json.loads((tmp_path / "test.template.json").read_text())
    statements = [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if str(statement.get("Action", "")).startswith(("sms-voice:", "mobiletargeting:"))
    ]
    granted = {
        statement["Action"]: statement["Resource"][0]
        if isinstance(statement["Resource"], list)
        else statement["Resource"]
        for statement in statements
    }
    assert granted["sms-voice:SendTextMessage"] == POOL_ARN
    assert granted["sms-voice:SendVoiceMessage"] == SMS_ARN
    assert "apps/abc123/messages" in json.dumps(granted["mobiletargeting:SendMessages"])
    variables = [
        resource["Properties"]["Environment"]["Variables"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and "TOCSIN_STAGE" in resource["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert all(v["TOCSIN_SMS_PROVIDER"] == "eum" for v in variables)
    assert all(v["TOCSIN_VOICE_ORIGINATION_IDENTITY"] == SMS_ARN for v in variables)
    assert all(v["TOCSIN_PUSH_APPLICATION_ID"] == "abc123" for v in variables)


def test_concurrency_and_shared_log_groups_are_parameters(tmp_path: Path) -> None:
    import json

    context = {
        "stage": "test",
        "senderEmail": "alerts@example.com",
        "dispatchConcurrency": "4",
        "evaluateConcurrency": "3",
        "reservedConcurrency": "8",
        "smsStatusLogGroups": "existing",
    }
    result = synthesise(context, tmp_path)
    assert result.returncode == 0, result.stderr
    resources = json.loads((tmp_path / "test.template.json").read_text())["Resources"]
    functions = {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    reserved = {name for name, f in functions.items() if f.get("ReservedConcurrentExecutions") == 8}
    assert reserved == {"APIHandler", "EvaluateEvents", "DispatchNotifications"}
    [source] = functions["DispatchNotifications"]["Events"].values()
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 4}
    [source] = functions["EvaluateEvents"]["Events"].values()
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 3}
    for sender in ("DispatchNotifications", "EvaluateEvents"):  # 4 + 3 share the quotas
        assert functions[sender]["Environment"]["Variables"]["TOCSIN_DISPATCH_CONCURRENCY"] == "7"
    kinds = [r["Type"] for r in resources.values()]
    assert kinds.count("AWS::Logs::SubscriptionFilter") == 2
    assert kinds.count("AWS::Logs::LogGroup") == len(functions)  # SNS's are not created
