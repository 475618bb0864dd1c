"""Deployment parameters, from CDK context (``cdk deploy -c stage=prod -c senderEmail=...``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

_STAGE = re.compile(r"[a-z][a-z0-9-]{0,19}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOG_RETENTION_CHOICES = frozenset({30, 90, 180, 365, 731})
# Lambda's ScalingConfig.MaximumConcurrency for an SQS event source takes 2 to 1000.
MIN_DISPATCH_CONCURRENCY, MAX_DISPATCH_CONCURRENCY = 2, 1000
DEFAULT_DISPATCH_CONCURRENCY = 5  # what Lambda starts an SQS source with, now also its ceiling
# SNS's SMS delivery-status log groups are per account and Region, shared by every stage:
# "create" them (the first stage there), use "existing" ones (SNS or another stage made them).
SMS_STATUS_LOG_GROUPS = ("create", "existing")
_ORIGINATION_ARN = re.compile(
    r"arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)/[A-Za-z0-9_\-:]+"
)


_HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+")


CONSOLE_IDPS = ("oidc", "saml")
_DOMAIN_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
)
_IDP_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class ConsoleSignIn:
    """The console's sign-in through a Cognito user pool: its hosted domain's prefix, and the
    organisation's identity provider behind it (OIDC or SAML; none: users kept in the pool)."""

    domain_prefix: str
    idp: str | None = None  # oidc, saml
    idp_name: str = "organisation"
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret_arn: str | None = None  # Secrets Manager: the IdP's client secret
    saml_metadata_url: str | None = None


class ContextReader(Protocol):
    def try_get_context(self, key: str) -> Any: ...


@dataclass(frozen=True)
class DeploymentSettings:
    stage: str
    sender_email: str
    ops_email: str | None
    log_retention_days: int
    api_timeout_seconds: int
    worker_timeout_seconds: int
    sms_origination_arn: str | None = None  # set: SMS through End User Messaging, not SNS
    voice_origination_arn: str | None = None  # set: voice calls through End User Messaging
    push_application_id: str | None = None  # set: push through Pinpoint SendMessages
    public_url: str | None = None  # where acknowledgement links point (a custom domain)
    # A host of your own with the API at its root (PagerDuty's and Opsgenie's paths need it),
    # and its ACM certificate in the stack's Region; both or neither.
    api_domain_name: str | None = None
    site_domain_name: str | None = (
        None  # the dark site's host (CloudFront), e.g. status.example.com
    )
    site_certificate_arn: str | None = None  # ACM, in us-east-1 (CloudFront's)
    api_certificate_arn: str | None = None
    # Dispatch instances at once: the SQS mapping's maximum and what each paces itself to share.
    dispatch_concurrency: int = DEFAULT_DISPATCH_CONCURRENCY
    # The evaluator sends each incident's first messages itself: its instances share the quota.
    evaluate_concurrency: int = DEFAULT_DISPATCH_CONCURRENCY
    reserved_concurrency: int | None = None  # set: reserved for the API, evaluator, dispatcher
    api_rate_limit: int = 50  # API Gateway stage throttling: requests a second, steady
    api_burst_limit: int = 100
    queue_age_alarm_seconds: int = 300  # a message this old on ingest, dispatch or erasure: ops
    sms_status_log_groups: str = "create"
    console_sign_in: ConsoleSignIn | None = None  # set: a Cognito user pool for the console

    @property
    def has_origination_identities(self) -> bool:
        """End User Messaging sends (SMS or voice): a configuration set reports on them."""
        return bool(self.sms_origination_arn or self.voice_origination_arn)

    @property
    def sms_through_sns(self) -> bool:
        return self.sms_origination_arn is None

    @property
    def prefix(self) -> str:
        """Every physical name starts with this, so stages can share an account."""
        return f"tocsin-{self.stage}"

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rsplit("@", 1)[1]

    @classmethod
    def from_context(cls, node: ContextReader) -> DeploymentSettings:
        stage = str(node.try_get_context("stage") or "")
        if not _STAGE.fullmatch(stage):
            raise ValueError(
                "set the stage: -c stage=NAME (lower-case letters, digits, '-'; at most 20)"
            )
        sender = str(node.try_get_context("senderEmail") or "")
        if not _EMAIL.fullmatch(sender):
            raise ValueError("set the verified SES sender: -c senderEmail=alerts@your-domain")
        retention = int(node.try_get_context("logRetentionDays") or 90)
        if retention not in LOG_RETENTION_CHOICES:
            raise ValueError(f"logRetentionDays must be one of {sorted(LOG_RETENTION_CHOICES)}")
        ops = node.try_get_context("opsEmail")
        if ops is not None and not _EMAIL.fullmatch(str(ops)):
            raise ValueError("opsEmail must be an email address")
        origination = {}
        for key in ("smsOriginationArn", "voiceOriginationArn"):
            value = node.try_get_context(key)
            if value is not None and not _ORIGINATION_ARN.fullmatch(str(value)):
                raise ValueError(
                    f"{key} must be the ARN of an End User Messaging phone number, pool or "
                    "sender id (arn:aws:sms-voice:REGION:ACCOUNT:phone-number/...)"
                )
            origination[key] = str(value) if value else None
        push = node.try_get_context("pushApplicationId")
        if push is not None and not re.fullmatch(r"[a-zA-Z0-9]{1,64}", str(push)):
            raise ValueError("pushApplicationId must be a Pinpoint project id (letters, digits)")
        public_url = node.try_get_context("publicUrl")
        if public_url is not None and not re.fullmatch(
            r"https://[A-Za-z0-9.-]+(/[\w./-]*)?", str(public_url)
        ):
            raise ValueError(
                "publicUrl must be an https:// address, e.g. https://alerts.example.com"
            )
        domain, certificate = _custom_domain(node)
        site_domain, site_certificate = _site_domain(node)
        concurrency, evaluators = (
            _integer(node, name, DEFAULT_DISPATCH_CONCURRENCY)
            for name in ("dispatchConcurrency", "evaluateConcurrency")
        )
        for name, value in (("dispatch", concurrency), ("evaluate", evaluators)):
            if not MIN_DISPATCH_CONCURRENCY <= value <= MAX_DISPATCH_CONCURRENCY:
                raise ValueError(
                    f"{name}Concurrency must be {MIN_DISPATCH_CONCURRENCY} to "
                    f"{MAX_DISPATCH_CONCURRENCY} (Lambda's limits for an SQS event source)"
                )
        reserved = node.try_get_context("reservedConcurrency")
        reserved_value = _integer(node, "reservedConcurrency", 0) if reserved is not None else None
        if reserved_value is not None and reserved_value < max(concurrency, evaluators):
            raise ValueError(
                "reservedConcurrency must be at least dispatchConcurrency and "
                "evaluateConcurrency, or their own event sources would be throttled"
            )
        log_groups = str(node.try_get_context("smsStatusLogGroups") or "create")
        if log_groups not in SMS_STATUS_LOG_GROUPS:
            raise ValueError(
                f"smsStatusLogGroups must be one of {', '.join(SMS_STATUS_LOG_GROUPS)}"
            )
        rate = _integer(node, "apiRateLimit", 50)
        burst = _integer(node, "apiBurstLimit", 100)
        if rate < 1 or burst < 1:
            raise ValueError("apiRateLimit and apiBurstLimit must be positive")
        public = (
            str(public_url).rstrip("/") if public_url else (f"https://{domain}" if domain else None)
        )
        return cls(
            console_sign_in=_console_sign_in(node, public),
            dispatch_concurrency=concurrency,
            evaluate_concurrency=evaluators,
            reserved_concurrency=reserved_value,
            api_rate_limit=rate,
            api_burst_limit=burst,
            queue_age_alarm_seconds=_integer(node, "queueAgeAlarmSeconds", 300),
            sms_status_log_groups=log_groups,
            public_url=public,
            api_domain_name=domain,
            site_domain_name=site_domain,
            site_certificate_arn=site_certificate,
            api_certificate_arn=certificate,
            push_application_id=str(push) if push else None,
            sms_origination_arn=origination["smsOriginationArn"],
            voice_origination_arn=origination["voiceOriginationArn"],
            stage=stage,
            sender_email=sender,
            ops_email=str(ops) if ops else None,
            log_retention_days=retention,
            api_timeout_seconds=int(node.try_get_context("apiTimeoutSeconds") or 15),
            worker_timeout_seconds=int(node.try_get_context("workerTimeoutSeconds") or 60),
        )


def _custom_domain(node: ContextReader) -> tuple[str | None, str | None]:
    domain = node.try_get_context("apiDomainName")
    certificate = node.try_get_context("apiCertificateArn")
    if domain is None and certificate is None:
        return None, None
    if domain is None or certificate is None:
        raise ValueError(
            "set both apiDomainName and apiCertificateArn (an ACM certificate for that name, "
            "in the stack's Region), or neither"
        )
    if not _HOST.fullmatch(str(domain)):
        raise ValueError("apiDomainName must be a host name, e.g. alerts.example.com")
    if not _CERTIFICATE_ARN.fullmatch(str(certificate)):
        raise ValueError(
            "apiCertificateArn must be an ACM certificate ARN "
            "(arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
        )
    return str(domain).lower(), str(certificate)


def _site_domain(node: ContextReader) -> tuple[str | None, str | None]:
    """The dark site's own host: ``siteDomainName`` with ``siteCertificateArn`` (us-east-1)."""
    domain = node.try_get_context("siteDomainName")
    certificate = node.try_get_context("siteCertificateArn")
    if domain is None and certificate is None:
        return None, None
    if domain is None or certificate is None:
        raise ValueError("set both siteDomainName and siteCertificateArn, or neither")
    if not _HOST.fullmatch(str(domain)):
        raise ValueError("siteDomainName must be a host name, e.g. status.example.com")
    if not str(certificate).startswith("arn:aws:acm:us-east-1:"):
        raise ValueError("siteCertificateArn must be an ACM certificate in us-east-1 (CloudFront)")
    return str(domain).lower(), str(certificate)


def _console_sign_in(node: ContextReader, public_url: str | None) -> ConsoleSignIn | None:
    """``consoleAuthDomainPrefix`` turns it on; ``consoleIdp`` (oidc or saml) adds the
    organisation's identity provider, with its own parameters. Nothing set: no user pool."""
    prefix = node.try_get_context("consoleAuthDomainPrefix")
    idp = node.try_get_context("consoleIdp")
    if prefix is None:
        if idp is not None:
            raise ValueError("consoleIdp needs consoleAuthDomainPrefix (the sign-in domain)")
        return None
    if (
        not _DOMAIN_PREFIX.fullmatch(str(prefix))
        or "aws" in str(prefix)
        or "cognito" in str(prefix)
    ):
        raise ValueError(
            "consoleAuthDomainPrefix must be lower-case letters, digits and '-' (without 'aws' "
            "or 'cognito'), e.g. example-tocsin"
        )
    if public_url is None:
        raise ValueError(
            "consoleAuthDomainPrefix needs publicUrl or apiDomainName: the sign-in's callback "
            "address must be known before the API exists"
        )
    name = str(node.try_get_context("consoleIdpName") or "organisation")
    if not _IDP_NAME.fullmatch(name):
        raise ValueError("consoleIdpName must be 1 to 32 letters, digits, '_' or '-'")
    if idp is None:
        return ConsoleSignIn(str(prefix))
    if idp not in CONSOLE_IDPS:
        raise ValueError(f"consoleIdp must be one of {', '.join(CONSOLE_IDPS)}")
    if idp == "saml":
        metadata = str(node.try_get_context("consoleSamlMetadataUrl") or "")
        if not metadata.startswith("https://"):
            raise ValueError("consoleIdp=saml needs consoleSamlMetadataUrl (https://...)")
        return ConsoleSignIn(str(prefix), "saml", name, saml_metadata_url=metadata)
    issuer = str(node.try_get_context("consoleOidcIssuer") or "")
    client_id = str(node.try_get_context("consoleOidcClientId") or "")
    secret = str(node.try_get_context("consoleOidcClientSecretArn") or "")
    if not issuer.startswith("https://") or not client_id or not _SECRET_ARN.fullmatch(secret):
        raise ValueError(
            "consoleIdp=oidc needs consoleOidcIssuer (https://...), consoleOidcClientId and "
            "consoleOidcClientSecretArn (the client secret in Secrets Manager)"
        )
    return ConsoleSignIn(
        str(prefix),
        "oidc",
        name,
        oidc_issuer=issuer.rstrip("/"),
        oidc_client_id=client_id,
        oidc_client_secret_arn=secret,
    )


def _integer(node: ContextReader, key: str, default: int) -> int:
    value = node.try_get_context(key)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a whole number") from None
