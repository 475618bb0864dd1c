"""The rehearsal's tools: expand the SAM transform offline and walk what CloudFormation creates.

``chalice.cdk`` writes ``AWS::Serverless::*`` resources; CloudFormation runs the
``AWS::Serverless-2016-10-31`` transform before it creates anything. ``aws-sam-translator`` is
the library behind that transform, so expanding with it shows the event source mappings,
subscriptions, permissions and API stages CloudFormation would really create, and in what order
it may create them (references and DependsOn are the only ordering it has).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.translator import Translator

REGION, ACCOUNT, PARTITION = "eu-west-1", "123456789012", "aws"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "tocsin-test",
}
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def _no_managed_policies() -> dict[str, str]:
    """The transform asks IAM for managed policy ARNs only when a function lists policies by
    name; Tocsin's functions get their roles from the stack, so nothing is looked up."""
    return {}


def expand(template: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform (offline: the session
    only tells the transform its Region)."""
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=REGION))
    try:
        return dict(
            translator.translate(
                copy.deepcopy(template), {}, get_managed_policy_map=_no_managed_policies
            )
        )
    except InvalidDocumentException as error:
        raise AssertionError([str(cause) for cause in error.causes]) from error


class Expanded:
    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {n: r for n, r in self.resources.items() if r["Type"] == kind}

    # --- references and order ------------------------------------------------------------

    def references(self, name: str) -> set[str]:
        """Resources this one names (Ref, GetAtt, Sub) or waits for (DependsOn)."""
        resource = self.resources[name]
        found = set(_referenced(resource.get("Properties", {})))
        depends = resource.get("DependsOn", [])
        found |= {depends} if isinstance(depends, str) else set(depends)
        return {other for other in found if other in self.resources}

    def created_after(self, name: str, other: str) -> bool:
        """True when CloudFormation cannot start ``name`` before ``other`` is complete."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            for nxt in self.references(current):
                if nxt == other:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    def cycle(self) -> list[str] | None:
        """A dependency cycle, if any (CloudFormation refuses the template)."""
        state: dict[str, int] = {}
        path: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            path.append(node)
            for nxt in sorted(self.references(node)):
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in state and (found := visit(nxt)):
                    return found
            path.pop()
            state[node] = 2
            return None

        for node in self.resources:
            if node not in state and (found := visit(node)):
                return found
        return None

    # --- names -----------------------------------------------------------------------------

    def by_name(self, kind: str, key: str, name: str) -> str | None:
        for logical, resource in self.of_type(kind).items():
            if render(resource["Properties"].get(key)) == name:
                return logical
        return None

    def role_policies(self, role: str) -> dict[str, dict[str, Any]]:
        return {
            name: policy
            for name, policy in self.of_type("AWS::IAM::Policy").items()
            if {"Ref": role} in policy["Properties"].get("Roles", [])
        }

    def function_role(self, function: str) -> str:
        return str(self.resources[function]["Properties"]["Role"]["Fn::GetAtt"][0])


def _referenced(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".")[0]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            yield from _SUB_NAME.findall(str(text))
        for item in value.values():
            yield from _referenced(item)
    elif isinstance(value, list):
        for item in value:
            yield from _referenced(item)


def render(value: Any) -> Any:
    """A value with the pseudo parameters filled in (Ref to a resource stays a dict)."""
    if isinstance(value, dict):
        if "Ref" in value and value["Ref"] in PSEUDO:
            return PSEUDO[value["Ref"]]
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            rendered = [render(part) for part in parts]
            if all(isinstance(part, str) for part in rendered):
                return separator.join(rendered)
            return value
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for name, replacement in PSEUDO.items():
                text = text.replace("${" + name + "}", replacement)
            return text if "${" not in text else value
        return {key: render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item) for item in value]
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy_document.get("Statement", []))


def allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(
        granted == action or (granted.endswith("*") and action.startswith(granted[:-1]))
        for granted in as_list(statement.get("Action", []))
    )


def service_principals(statement: dict[str, Any]) -> set[str]:
    principal = statement.get("Principal", {})
    if not isinstance(principal, dict):
        return set()
    return {str(render(service)) for service in as_list(principal.get("Service", []))}
