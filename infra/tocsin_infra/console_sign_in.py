"""The console's sign-in through the organisation's identity provider: a Cognito user pool (no
self sign-up), its hosted sign-in domain, one group per Tocsin scope (``tocsin-read``...), the
organisation's OIDC or SAML provider when given, and the console's app client (authorization
code with PKCE, no client secret, the console's callback address only).

Built only when ``consoleAuthDomainPrefix`` is set; nothing of it exists otherwise.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from chalicelib.core.access import CONSOLE_GROUP_PREFIX as GROUP_PREFIX
from chalicelib.core.access import Scope
from tocsin_infra.settings import ConsoleSignIn as SignInSettings

SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


class ConsoleSignIn(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        settings: SignInSettings,
        console_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            user_pool_name=f"{prefix}-console",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(min_length=14),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for scope_name in Scope:
            cognito.CfnUserPoolGroup(
                self,
                f"Group{scope_name.value.capitalize()}",
                user_pool_id=self.pool.user_pool_id,
                group_name=f"{GROUP_PREFIX}{scope_name.value}",
                description=f"Tocsin console: the {scope_name.value} scope",
            )
        self.domain = self.pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=settings.domain_prefix),
        )
        providers = [cognito.UserPoolClientIdentityProvider.COGNITO]
        provider = self._identity_provider(settings)
        if provider is not None:
            providers = [cognito.UserPoolClientIdentityProvider.custom(settings.idp_name)]
        self.client = self.pool.add_client(
            "Console",
            user_pool_client_name=f"{prefix}-console",
            generate_secret=False,
            prevent_user_existence_errors=True,
            supported_identity_providers=providers,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(8),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[f"{console_url}/signin/callback"],
                logout_urls=[f"{console_url}/signin"],
            ),
        )
        if provider is not None:
            self.client.node.add_dependency(provider)
        self.issuer = (
            f"https://cognito-idp.{stack.region}.{stack.url_suffix}/{self.pool.user_pool_id}"
        )
        self.domain_url = f"https://{settings.domain_prefix}.auth.{stack.region}.amazoncognito.com"

    def _identity_provider(self, settings: SignInSettings) -> Construct | None:
        if settings.idp == "oidc":
            assert settings.oidc_issuer and settings.oidc_client_id
            assert settings.oidc_client_secret_arn
            return cognito.UserPoolIdentityProviderOidc(
                self,
                "Oidc",
                user_pool=self.pool,
                name=settings.idp_name,
                issuer_url=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                # A dynamic reference CloudFormation resolves at deploy time: the secret itself
                # is never in the template.
                client_secret=SecretValue.secrets_manager(
                    settings.oidc_client_secret_arn
                ).unsafe_unwrap(),
                scopes=["openid", "email", "profile"],
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.other("email"),
                    custom={"email_verified": cognito.ProviderAttribute.other("email_verified")},
                ),
            )
        if settings.idp == "saml":
            assert settings.saml_metadata_url
            return cognito.UserPoolIdentityProviderSaml(
                self,
                "Saml",
                user_pool=self.pool,
                name=settings.idp_name,
                metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(
                    settings.saml_metadata_url
                ),
                attribute_mapping=cognito.AttributeMapping(
                    email=cognito.ProviderAttribute.other(SAML_EMAIL)
                ),
            )
        return None
