"""No IAM statement grants '*' actions, and none grants '*' resources on data services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.conftest import Synthesis

DATA_SERVICES = ("dynamodb", "sqs", "s3", "kms", "secretsmanager", "ssm", "logs")
# Statements that AWS itself forces onto '*', each with the reason it is safe. None: SMS to a
# phone number has no ARN, but its grant is NotResource on every SNS ARN, so it reaches no
# topic (tests/test_rehearsal.py checks it); topics are granted by their own ARNs.
ALLOWED_WILDCARD_RESOURCES: dict[tuple[str, ...], str] = {}


def statements(synthesis: Synthesis) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in synthesis.template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield name, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_there_are_statements_to_check(synthesis: Synthesis) -> None:
    assert sum(1 for _ in statements(synthesis)) >= 10


def test_no_statement_allows_every_action(synthesis: Synthesis) -> None:
    for name, statement in statements(synthesis):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{name} allows {action}"


def test_no_wildcard_resource_on_data_services(synthesis: Synthesis) -> None:
    for name, statement in statements(synthesis):
        if statement["Effect"] != "Allow" or "*" not in as_list(statement.get("Resource", [])):
            continue
        actions = tuple(sorted(as_list(statement["Action"])))
        assert not any(action.split(":")[0] in DATA_SERVICES for action in actions), (
            f"{name} grants {actions} on every resource"
        )
        assert actions in ALLOWED_WILDCARD_RESOURCES, f"{name}: unexplained '*' for {actions}"


def test_the_key_policy_lets_services_in_only_from_this_account(synthesis: Synthesis) -> None:
    """By aws:SourceAccount, or (CloudWatch Logs) by the ARNs of this account's log groups."""
    [key] = synthesis.resources("AWS::KMS::Key").values()
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        principal = statement["Principal"]
        if "Service" not in principal:
            continue
        condition = statement["Condition"]
        if "ArnEquals" in condition:
            arns = condition["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
            assert arns and all({"Ref": "AWS::AccountId"} in arn["Fn::Join"][1] for arn in arns)
        else:
            assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_direct_sms_is_granted_on_no_topic(synthesis: Synthesis) -> None:
    """The senders (the dispatcher, the evaluator: it sends each incident's first messages) and
    the SMS-reply handler publish to phone numbers through NotResource on every SNS ARN; a topic
    (their own, the alarms, the replies) needs a grant by its ARN."""
    sms = [
        (name, statement)
        for name, statement in statements(synthesis)
        if statement.get("Sid") == "SmsToPhoneNumbersOnly"
    ]
    assert {name.split("Role")[0] for name, _ in sms} == {
        "DispatchNotifications",
        "EvaluateEvents",
        "AnswerSmsReplies",
    }
    for _, statement in sms:
        assert "Resource" not in statement
        assert statement["NotResource"] == {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sns:*:*:*"]]
        }


def test_the_checks_catch_what_they_are_for(tmp_path: Any) -> None:
    def policy(action: str, resource: str) -> Synthesis:
        statement = {"Effect": "Allow", "Action": action, "Resource": resource}
        return Synthesis(
            {
                "Resources": {
                    "Bad": {
                        "Type": "AWS::IAM::Policy",
                        "Properties": {"PolicyDocument": {"Statement": [statement]}},
                    }
                }
            },
            tmp_path,
            0,
        )

    for check, bad in [
        (test_no_statement_allows_every_action, policy("dynamodb:*", "arn:table")),
        (test_no_statement_allows_every_action, policy("*", "arn:table")),
        (test_no_wildcard_resource_on_data_services, policy("dynamodb:GetItem", "*")),
        (test_no_wildcard_resource_on_data_services, policy("ses:SendEmail", "*")),
    ]:
        try:
            check(bad)
        except AssertionError:
            continue
        raise AssertionError(f"{check.__name__} let {bad.template} through")
