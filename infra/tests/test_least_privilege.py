"""No IAM statement grants '*' actions, and none grants '*' resources on data services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.conftest import Synthesis

DATA_SERVICES = ("dynamodb", "sqs", "s3", "kms", "secretsmanager", "ssm", "logs")
# Statements that AWS itself forces onto '*', each with the reason it is safe.
ALLOWED_WILDCARD_RESOURCES = {
    ("sns:Publish",): "SMS to a phone number has no ARN; topics need their own grant",
}


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
        if statement["Effect"] != "Allow" or "*" not in as_list(statement["Resource"]):
            continue
        actions = tuple(sorted(as_list(statement["Action"])))
        assert not any(action.split(":")[0] in DATA_SERVICES for action in actions), (
            f"{name} grants {actions} on every resource"
        )
        assert actions in ALLOWED_WILDCARD_RESOURCES, f"{name}: unexplained '*' for {actions}"


def test_the_key_policy_lets_services_in_only_from_this_account(synthesis: Synthesis) -> None:
    [key] = synthesis.resources("AWS::KMS::Key").values()
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        principal = statement["Principal"]
        if "Service" in principal:
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {
                "Ref": "AWS::AccountId"
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
