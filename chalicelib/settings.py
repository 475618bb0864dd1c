"""One frozen settings object, read from the environment once. Every variable is named here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

STAGE = "TOCSIN_STAGE"
CONFIG_TABLE = "TOCSIN_CONFIG_TABLE"
CONTACTS_TABLE = "TOCSIN_CONTACTS_TABLE"
INCIDENTS_TABLE = "TOCSIN_INCIDENTS_TABLE"
INGEST_QUEUE = "TOCSIN_INGEST_QUEUE"
DISPATCH_QUEUE = "TOCSIN_DISPATCH_QUEUE"
ERASURE_QUEUE = "TOCSIN_ERASURE_QUEUE"  # erasure jobs, one slice per message
ALARMS_TOPIC = "TOCSIN_ALARMS_TOPIC"
DELIVERY_TOPIC = "TOCSIN_DELIVERY_TOPIC"
SENDER_EMAIL = "TOCSIN_SENDER_EMAIL"
SES_CONFIGURATION_SET = "TOCSIN_SES_CONFIGURATION_SET"
SMS_PROVIDER = "TOCSIN_SMS_PROVIDER"  # "sns" (default) or "eum" (End User Messaging)
SMS_ORIGINATION = "TOCSIN_SMS_ORIGINATION_IDENTITY"  # phone number, sender id or pool (eum)
SMS_CONFIGURATION_SET = "TOCSIN_SMS_CONFIGURATION_SET"  # eum: where delivery events go
VOICE_ORIGINATION = "TOCSIN_VOICE_ORIGINATION_IDENTITY"  # voice calls only when this is set
SMS_PROVIDERS = ("sns", "eum")
STAKEHOLDERS_TOPIC_ARN = "TOCSIN_STAKEHOLDERS_TOPIC_ARN"  # plans that inform stakeholders
PUSH_APPLICATION_ID = "TOCSIN_PUSH_APPLICATION_ID"  # a Pinpoint project with APNs/FCM channels
# Account quotas the dispatcher paces itself to (AWS's defaults: SNS 20 SMS/s, SES 14 emails/s
# once out of the sandbox, one voice call a second); shared by this many dispatch instances.
SMS_PARTS_PER_SECOND = "TOCSIN_SMS_PARTS_PER_SECOND"
EMAILS_PER_SECOND = "TOCSIN_EMAILS_PER_SECOND"
VOICE_CALLS_PER_SECOND = "TOCSIN_VOICE_CALLS_PER_SECOND"
DISPATCH_CONCURRENCY = "TOCSIN_DISPATCH_CONCURRENCY"
PUBLIC_URL = "TOCSIN_PUBLIC_URL"  # where acknowledgement links point (/a/{token})
PUBLIC_URL_PARAMETER = "TOCSIN_PUBLIC_URL_PARAMETER"  # or the SSM parameter the stack fills
LINK_SECRET_ARN = "TOCSIN_LINK_SECRET_ARN"  # noqa: S105 - a variable's name, not a secret; Secrets Manager: the key that signs those links
LINK_SECRET = "TOCSIN_LINK_SECRET"  # noqa: S105 - a variable's name; the key itself: local stage only
INBOUND_SMS_TOPIC = "TOCSIN_INBOUND_SMS_TOPIC"  # two-way SMS replies (End User Messaging)
OPERATIONS_TOPIC_ARN = "TOCSIN_OPERATIONS_TOPIC_ARN"  # what Tocsin tells its operators (canaries)
SITE_BUCKET = "TOCSIN_SITE_BUCKET"  # the dark site's bucket (audiences with {site: public})
# The console's sign-in through the organisation's identity provider (a Cognito user pool):
# the pool's issuer URL, the console's app client id, and the pool's hosted sign-in domain.
CONSOLE_IDP_ISSUER = "TOCSIN_CONSOLE_IDP_ISSUER"
CONSOLE_IDP_CLIENT_ID = "TOCSIN_CONSOLE_IDP_CLIENT_ID"
CONSOLE_IDP_DOMAIN = "TOCSIN_CONSOLE_IDP_DOMAIN"
SITE_FUNCTION = "TOCSIN_SITE_FUNCTION"  # the function that alone writes it (publish_site)
SITE_DISTRIBUTION = "TOCSIN_SITE_DISTRIBUTION"  # its CloudFront distribution (invalidations)
MAX_BODY_BYTES = "TOCSIN_MAX_BODY_BYTES"
PLAYBOOK_CACHE_SECONDS = "TOCSIN_PLAYBOOK_CACHE_SECONDS"
SEND_CLAIM_TIMEOUT_SECONDS = "TOCSIN_SEND_CLAIM_TIMEOUT_SECONDS"
# How many of an incident's jobs the evaluator sends itself before queueing the rest (0: none).
FIRST_BATCH = "TOCSIN_FIRST_BATCH"
MAX_FIRST_BATCH = 50
# The queues' maxReceiveCount: at the last receive, an event that still cannot be decided is
# marked failed with the reason before its message goes to the dead-letter queue.
MAX_RECEIVE_COUNT = "TOCSIN_MAX_RECEIVE_COUNT"
LOCAL_API_KEY = "TOCSIN_LOCAL_API_KEY"
LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"  # set by AWS Lambda in every function

LOCAL_STAGE = "local"
DEFAULT_LOCAL_API_KEY = "local-dev-key"
# The local stack's personal key for the console (Ada Example's): public by design, local only.
LOCAL_CONSOLE_KEY = "local-console-key"
LOCAL_PUBLIC_URL = "http://127.0.0.1:8000"
LOCAL_LINK_SECRET = "local-dev-link-secret"  # noqa: S105 - public by design; signs links on the local stack only
LOCAL_STAKEHOLDERS_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:tocsin-stakeholders"
LOCAL_OPERATIONS_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:tocsin-operations"
LOCAL_SITE_BUCKET = "tocsin-site"

DEFAULT_BOUND_NAMES = {
    INGEST_QUEUE: "tocsin-ingest",
    DISPATCH_QUEUE: "tocsin-dispatch",
    ERASURE_QUEUE: "tocsin-erasure",
    ALARMS_TOPIC: "tocsin-alarms",
    DELIVERY_TOPIC: "tocsin-delivery-events",
    INBOUND_SMS_TOPIC: "tocsin-sms-inbound",
}


class SettingsError(ValueError):
    """The environment cannot be run safely as it is; the function refuses to start."""


def bound_name(variable: str) -> str:
    """The queue or topic an event source binds to, read when the handler module is imported
    (the decorators need it before any Settings exists); deployments set the same variables
    for packaging and for the functions, so both agree."""
    return os.environ.get(variable, DEFAULT_BOUND_NAMES[variable])


@dataclass(frozen=True)
class Settings:
    stage: str
    config_table: str
    contacts_table: str
    incidents_table: str
    ingest_queue: str
    dispatch_queue: str
    erasure_queue: str
    sender_email: str
    ses_configuration_set: str | None
    sms_provider: str
    sms_origination_identity: str | None
    sms_configuration_set: str | None
    voice_origination_identity: str | None
    stakeholders_topic_arn: str | None
    operations_topic_arn: str | None
    push_application_id: str | None
    public_url: str | None
    public_url_parameter: str | None
    link_secret_arn: str | None
    link_secret: str | None
    sms_parts_per_second: float
    emails_per_second: float
    voice_calls_per_second: float
    dispatch_concurrency: int
    max_body_bytes: int
    playbook_cache_seconds: float
    send_claim_timeout_seconds: float
    max_receive_count: int
    first_batch: int
    local_api_key: str | None
    site_bucket: str | None = None
    console_idp_issuer: str | None = None
    console_idp_client_id: str | None = None
    console_idp_domain: str | None = None
    site_function: str | None = None  # set: the site is posted through it, never written here
    site_distribution: str | None = None

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        stage = _stage(env)
        provider = env.get(SMS_PROVIDER, "sns")
        if provider not in SMS_PROVIDERS:
            raise SettingsError(f"{SMS_PROVIDER} must be one of {', '.join(SMS_PROVIDERS)}")
        return cls(
            stage=stage,
            config_table=env.get(CONFIG_TABLE, "tocsin-config"),
            contacts_table=env.get(CONTACTS_TABLE, "tocsin-contacts"),
            incidents_table=env.get(INCIDENTS_TABLE, "tocsin-incidents"),
            ingest_queue=env.get(INGEST_QUEUE, DEFAULT_BOUND_NAMES[INGEST_QUEUE]),
            dispatch_queue=env.get(DISPATCH_QUEUE, DEFAULT_BOUND_NAMES[DISPATCH_QUEUE]),
            erasure_queue=env.get(ERASURE_QUEUE, DEFAULT_BOUND_NAMES[ERASURE_QUEUE]),
            sender_email=env.get(SENDER_EMAIL, "tocsin@example.com"),
            ses_configuration_set=env.get(SES_CONFIGURATION_SET) or None,
            sms_provider=provider,
            sms_origination_identity=env.get(SMS_ORIGINATION) or None,
            sms_configuration_set=env.get(SMS_CONFIGURATION_SET) or None,
            voice_origination_identity=env.get(VOICE_ORIGINATION) or None,
            push_application_id=env.get(PUSH_APPLICATION_ID) or None,
            public_url=env.get(PUBLIC_URL) or (LOCAL_PUBLIC_URL if stage == LOCAL_STAGE else None),
            public_url_parameter=env.get(PUBLIC_URL_PARAMETER) or None,
            link_secret_arn=env.get(LINK_SECRET_ARN) or None,
            link_secret=(env.get(LINK_SECRET) or LOCAL_LINK_SECRET)
            if stage == LOCAL_STAGE
            else None,
            stakeholders_topic_arn=env.get(STAKEHOLDERS_TOPIC_ARN)
            or (LOCAL_STAKEHOLDERS_TOPIC_ARN if stage == LOCAL_STAGE else None),
            operations_topic_arn=env.get(OPERATIONS_TOPIC_ARN)
            or (LOCAL_OPERATIONS_TOPIC_ARN if stage == LOCAL_STAGE else None),
            sms_parts_per_second=float(env.get(SMS_PARTS_PER_SECOND, "20")),
            emails_per_second=float(env.get(EMAILS_PER_SECOND, "14")),
            voice_calls_per_second=float(env.get(VOICE_CALLS_PER_SECOND, "1")),
            dispatch_concurrency=int(env.get(DISPATCH_CONCURRENCY, "1")),
            max_body_bytes=int(env.get(MAX_BODY_BYTES, str(256 * 1024))),
            playbook_cache_seconds=float(env.get(PLAYBOOK_CACHE_SECONDS, "30")),
            send_claim_timeout_seconds=float(env.get(SEND_CLAIM_TIMEOUT_SECONDS, "120")),
            first_batch=_first_batch(env),
            max_receive_count=int(env.get(MAX_RECEIVE_COUNT, "5")),
            # The well-known local key exists only on the local stage, whatever is configured.
            local_api_key=(env.get(LOCAL_API_KEY) or DEFAULT_LOCAL_API_KEY)
            if stage == LOCAL_STAGE
            else None,
            site_bucket=env.get(SITE_BUCKET)
            or (LOCAL_SITE_BUCKET if stage == LOCAL_STAGE else None),
            console_idp_issuer=env.get(CONSOLE_IDP_ISSUER) or None,
            console_idp_client_id=env.get(CONSOLE_IDP_CLIENT_ID) or None,
            console_idp_domain=env.get(CONSOLE_IDP_DOMAIN) or None,
            site_function=env.get(SITE_FUNCTION) or None,
            site_distribution=env.get(SITE_DISTRIBUTION) or None,
        )


def _first_batch(env: Mapping[str, str]) -> int:
    """0 to 50 jobs (a dispatch message's worth): the evaluator decides ten events at a time."""
    raw = env.get(FIRST_BATCH, "25")
    if not raw.isdigit() or int(raw) > MAX_FIRST_BATCH:
        raise SettingsError(f"{FIRST_BATCH} must be a whole number from 0 to {MAX_FIRST_BATCH}")
    return int(raw)


def _stage(env: Mapping[str, str]) -> str:
    """The stage, which must be said: the local stage trusts a public key and a public link
    secret, so a function that lost its variable must not fall back to it (fail closed)."""
    stage = env.get(STAGE, "").strip()
    if not stage:
        raise SettingsError(
            f"{STAGE} is not set: set it to the stage's name ('{LOCAL_STAGE}' only for the "
            "local stack and tests); refusing to start without it"
        )
    if stage == LOCAL_STAGE and env.get(LAMBDA_FUNCTION_NAME):
        raise SettingsError(
            f"{STAGE} is '{LOCAL_STAGE}' inside AWS Lambda ({env[LAMBDA_FUNCTION_NAME]}): the "
            "local stage's key and link secret are public; refusing to start"
        )
    return stage


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
