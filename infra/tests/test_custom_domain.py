"""A custom domain puts the API, PagerDuty's and Opsgenie's paths included, at the root of a host
of your own: a regional domain name with your certificate, a base path mapping with no base path
to the API's stage, acknowledgement links on that host, and the DNS target in the outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from tocsin_infra.settings import DeploymentSettings

from tests.conftest import CONTEXT, Synthesis, synthesised

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
DOMAIN_CONTEXT = {
    **CONTEXT,
    "apiDomainName": "Alerts.Example.com",
    "apiCertificateArn": CERTIFICATE,
}


class Context:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


@pytest.fixture(scope="module")
def domain_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesised(DOMAIN_CONTEXT, tmp_path_factory.mktemp("cdk.out"))


def test_the_domain_maps_the_api_stage_at_the_root_of_the_host(domain_synthesis: Synthesis) -> None:
    template = Template.from_json(domain_synthesis.template)
    template.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": "alerts.example.com",
            "RegionalCertificateArn": CERTIFICATE,
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        },
    )
    [mapping] = domain_synthesis.resources("AWS::ApiGateway::BasePathMapping").values()
    properties = mapping["Properties"]
    assert "BasePath" not in properties  # the root: /v2/enqueue, not /api/v2/enqueue
    assert properties["RestApiId"] == {"Ref": "RestAPI"}
    assert properties["Stage"] == {"Ref": "RestAPI.Stage"}  # SAM's stage "api", made first
    outputs = domain_synthesis.template["Outputs"]
    assert outputs["ApiDomainTarget"]["Value"]["Fn::GetAtt"][1] == "RegionalDomainName"
    template.has_resource_properties(
        "AWS::SSM::Parameter", {"Value": "https://alerts.example.com", "Type": "String"}
    )


def test_without_a_domain_there_is_none(synthesis: Synthesis) -> None:
    assert synthesis.resources("AWS::ApiGateway::DomainName") == {}
    assert synthesis.resources("AWS::ApiGateway::BasePathMapping") == {}
    Template.from_json(synthesis.template).has_resource_properties(
        "AWS::SSM::Parameter", {"Value": Match.object_like({"Fn::Join": Match.any_value()})}
    )


def test_the_domain_passes_cfn_lint_and_checkov(domain_synthesis: Synthesis) -> None:
    tools = Path(sys.executable).parent
    lint = subprocess.run(
        [str(tools / "cfn-lint"), str(domain_synthesis.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout[-3000:]
    checkov = subprocess.run(
        [str(tools / "checkov"), "-f", str(domain_synthesis.path), "--framework",
         "cloudformation", "--skip-download", "--quiet", "--compact", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )  # fmt: skip
    failed = [
        (check["check_id"], check["resource"])
        for check in json.loads(checkov.stdout)["results"]["failed_checks"]
    ]
    assert failed == []


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"apiDomainName": "alerts.example.com"}, "set both apiDomainName and apiCertificateArn"),
        ({"apiCertificateArn": CERTIFICATE}, "set both"),
        (
            {"apiDomainName": "https://alerts.example.com", "apiCertificateArn": CERTIFICATE},
            "host name",
        ),
        ({"apiDomainName": "alerts", "apiCertificateArn": CERTIFICATE}, "host name"),
        (
            {"apiDomainName": "alerts.example.com", "apiCertificateArn": "cert-1"},
            "ACM certificate ARN",
        ),
    ],
)
def test_a_half_or_wrong_domain_is_refused_with_what_to_set(
    given: dict[str, str], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        DeploymentSettings.from_context(Context({**CONTEXT, **given}))


def test_an_explicit_public_url_still_wins() -> None:
    settings = DeploymentSettings.from_context(
        Context({**DOMAIN_CONTEXT, "publicUrl": "https://a.example.com"})
    )
    assert (settings.public_url, settings.api_domain_name) == (
        "https://a.example.com",
        "alerts.example.com",
    )
