"""The console's sign-in through the organisation's identity provider: without its parameters
there is no user pool at all; with them, a pool without self sign-up, one group per scope, the
hosted domain, the organisation's OIDC or SAML provider, and the console's app client (code
flow with PKCE, no secret, only the console's callback address), wired into the functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from tocsin_infra.settings import DeploymentSettings

from chalicelib.core.access import Scope
from tests.conftest import CONTEXT, Synthesis, synthesised

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tocsin/okta-client-AbCdEf"
OIDC_CONTEXT = {
    **CONTEXT,
    "publicUrl": "https://alerts.example.com",
    "consoleAuthDomainPrefix": "example-tocsin",
    "consoleIdp": "oidc",
    "consoleIdpName": "okta",
    "consoleOidcIssuer": "https://example.okta.com",
    "consoleOidcClientId": "0oa-tocsin",
    "consoleOidcClientSecretArn": SECRET,
}
SAML = {
    "publicUrl": "https://alerts.example.com",
    "consoleAuthDomainPrefix": "example-tocsin",
    "consoleIdp": "saml",
    "consoleSamlMetadataUrl": "https://login.example.com/federationmetadata.xml",
}


class Context:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


@pytest.fixture(scope="module")
def oidc_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesised(OIDC_CONTEXT, tmp_path_factory.mktemp("cdk.out"))


def api_environment(synthesis: Synthesis) -> dict[str, Any]:
    functions = synthesis.resources("AWS::Serverless::Function")
    api = functions["APIHandler"]
    return dict(api["Properties"]["Environment"]["Variables"])


def test_without_its_parameters_there_is_no_user_pool_and_no_console_idp(
    synthesis: Synthesis,
) -> None:
    template = Template.from_json(synthesis.template)
    for kind in (
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolDomain",
        "AWS::Cognito::UserPoolIdentityProvider",
        "AWS::Cognito::UserPoolGroup",
    ):
        template.resource_count_is(kind, 0)
    assert not any(name.startswith("TOCSIN_CONSOLE_IDP") for name in api_environment(synthesis))


def test_the_pool_admits_no_self_sign_up_and_has_a_group_per_scope(
    oidc_synthesis: Synthesis,
) -> None:
    template = Template.from_json(oidc_synthesis.template)
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": "tocsin-test-console",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "DeletionProtection": "ACTIVE",
        },
    )
    groups = {
        g["Properties"]["GroupName"]
        for g in oidc_synthesis.resources("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {f"tocsin-{scope.value}" for scope in Scope}
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "example-tocsin"})


def test_the_app_client_uses_the_code_flow_to_the_consoles_callback_only(
    oidc_synthesis: Synthesis,
) -> None:
    template = Template.from_json(oidc_synthesis.template)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": Match.array_with(["openid", "email"]),
            "CallbackURLs": ["https://alerts.example.com/console/signin/callback"],
            "LogoutURLs": ["https://alerts.example.com/console/signin"],
            "SupportedIdentityProviders": ["okta"],
            "PreventUserExistenceErrors": "ENABLED",
        },
    )


def test_the_organisations_oidc_provider_is_wired_with_its_secret_by_reference(
    oidc_synthesis: Synthesis,
) -> None:
    (provider,) = oidc_synthesis.resources("AWS::Cognito::UserPoolIdentityProvider").values()
    properties = provider["Properties"]
    assert (properties["ProviderName"], properties["ProviderType"]) == ("okta", "OIDC")
    details = properties["ProviderDetails"]
    assert details["oidc_issuer"] == "https://example.okta.com"
    assert details["client_id"] == "0oa-tocsin"
    assert details["client_secret"] == f"{{{{resolve:secretsmanager:{SECRET}:SecretString:::}}}}"
    assert properties["AttributeMapping"]["email"] == "email"


def test_the_functions_know_the_pool_the_client_and_the_domain(
    oidc_synthesis: Synthesis,
) -> None:
    environment = api_environment(oidc_synthesis)
    issuer = json.dumps(environment["TOCSIN_CONSOLE_IDP_ISSUER"])
    assert "cognito-idp." in issuer and "ConsoleSignInPool" in issuer
    assert "ConsoleSignInPoolConsole" in json.dumps(environment["TOCSIN_CONSOLE_IDP_CLIENT_ID"])
    domain = json.dumps(environment["TOCSIN_CONSOLE_IDP_DOMAIN"])
    assert "https://example-tocsin.auth." in domain and "amazoncognito.com" in domain


def test_a_saml_provider_takes_its_metadata_and_maps_the_email_claim() -> None:
    settings = DeploymentSettings.from_context(Context({**CONTEXT, **SAML}))
    sign_in = settings.console_sign_in
    assert sign_in is not None
    assert (sign_in.idp, sign_in.saml_metadata_url) == ("saml", SAML["consoleSamlMetadataUrl"])


def test_a_saml_synthesis_has_a_saml_provider(tmp_path: Path) -> None:
    synthesis = synthesised({**CONTEXT, **SAML}, tmp_path)
    (provider,) = synthesis.resources("AWS::Cognito::UserPoolIdentityProvider").values()
    properties = provider["Properties"]
    assert properties["ProviderType"] == "SAML"
    assert properties["ProviderDetails"]["MetadataURL"] == SAML["consoleSamlMetadataUrl"]
    assert "emailaddress" in properties["AttributeMapping"]["email"]


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"consoleIdp": "oidc"}, "needs consoleAuthDomainPrefix"),
        ({"consoleAuthDomainPrefix": "example-tocsin"}, "needs publicUrl or apiDomainName"),
        (
            {"consoleAuthDomainPrefix": "Aws-Login", "publicUrl": "https://a.example.com"},
            "lower-case",
        ),
        ({**SAML, "consoleIdp": "ldap"}, "must be one of oidc, saml"),
        ({**SAML, "consoleSamlMetadataUrl": "http://x"}, "consoleSamlMetadataUrl"),
        ({**SAML, "consoleIdp": "oidc"}, "consoleOidcClientSecretArn"),
        ({**SAML, "consoleIdpName": "a b"}, "consoleIdpName"),
    ],
)
def test_a_bad_console_parameter_is_named(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        DeploymentSettings.from_context(Context({**CONTEXT, **values}))


def test_the_pool_alone_without_an_idp_keeps_users_in_the_pool() -> None:
    values = {**CONTEXT, "consoleAuthDomainPrefix": "example-tocsin"}
    values["apiDomainName"] = "alerts.example.com"
    values["apiCertificateArn"] = (
        "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    )
    sign_in = DeploymentSettings.from_context(Context(values)).console_sign_in
    assert sign_in is not None and sign_in.idp is None
