"""Create Tocsin's tables, queues and SES identity, then load the playbook, contacts and key.

Used by the local stack and by the tests, so both build exactly what the app expects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from chalicelib.channels.s3_site import S3SitePublisher
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.site.edition import SiteEditor
from chalicelib.settings import DELIVERY_TOPIC, LOCAL_CONSOLE_KEY, Settings, bound_name
from chalicelib.storage.api_keys import DynamoApiKeyStore
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.playbooks import DynamoPlaybookStore
from chalicelib.storage.tables import CONFIG, CONTACTS, INCIDENTS, TableDefinition
from tocsin_cli.contacts import read_contacts_csv
from tocsin_cli.policies import PolicyDocuments, read_policy_dir

PROJECT = Path(__file__).resolve().parent.parent
POLICIES = PROJECT / "policies"
EXAMPLE_CONTACTS = PROJECT / "examples" / "contacts.csv"
# Every scope, every integration, a rate that a local load test will not hit; seeding binds it
# to every heartbeat of the playbook too, so it can ping them.
# Fictional secrets for statements on Slack, Teams and Mastodon, pointing at the stand-ins the
# local AWS endpoint serves (local/social.py). An audience names them: slack: <secret name>.
SOCIAL_SECRETS = {
    "slack": "tocsin/local/slack-status",
    "teams": "tocsin/local/teams-status",
    "mastodon": "tocsin/local/mastodon-status",
}
LOCAL_KEY = ApiKey(name="local-development", scopes=frozenset(Scope), rate_per_minute=100_000)
# The console's sign-in on the local stack: Ada Example's personal key, every scope.
LOCAL_CONSOLE = ApiKey(name="local-console-ada", scopes=frozenset(Scope), contact_id="c-ada")


@dataclass(frozen=True)
class Seeded:
    rules: int
    plans: int
    contacts: int
    rejected_contacts: int


def table_names(settings: Settings) -> dict[TableDefinition, str]:
    return {
        CONFIG: settings.config_table,
        CONTACTS: settings.contacts_table,
        INCIDENTS: settings.incidents_table,
    }


@contextmanager
def _client(session: boto3.Session, service: str, endpoint_url: str | None) -> Iterator[Any]:
    """A client whose connections are closed when the block ends."""
    client: Any = session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
    try:
        yield client
    finally:
        client.close()


def create_resources(
    settings: Settings, session: boto3.Session | None = None, endpoint_url: str | None = None
) -> None:
    """Idempotent: resources that exist are left as they are."""
    session = session or boto3.Session()
    with _client(session, "dynamodb", endpoint_url) as dynamodb:
        _create_tables(settings, dynamodb)
    with _client(session, "sqs", endpoint_url) as sqs:
        _create_queues(settings, sqs)
    with _client(session, "sesv2", endpoint_url) as sesv2:
        sesv2.create_email_identity(EmailIdentity=settings.sender_email)
    # The stakeholder and operations topics, and the delivery-events topic that the AWS
    # stand-in publishes delivery receipts to (the runner subscribes its handler).
    topics = [
        arn.rsplit(":", 1)[1]
        for arn in (settings.stakeholders_topic_arn, settings.operations_topic_arn)
        if arn
    ] + [bound_name(DELIVERY_TOPIC)]
    with _client(session, "sns", endpoint_url) as sns:
        for topic in topics:
            sns.create_topic(Name=topic)
    if settings.site_bucket:  # the dark site's own bucket (private behind CloudFront when deployed)
        with _client(session, "s3", endpoint_url) as s3:
            s3.create_bucket(Bucket=settings.site_bucket)
    if endpoint_url:  # the local stack: its AWS endpoint serves the social stand-ins too
        create_social_secrets(session, endpoint_url, endpoint_url)


def create_social_secrets(
    session: boto3.Session, base_url: str, endpoint_url: str | None = None
) -> dict[str, str]:
    """The secrets of ``SOCIAL_SECRETS``, pointing at the stand-ins served at ``base_url``."""
    base = base_url.rstrip("/")
    values = {
        "slack": f"{base}/_local/slack/services/T0LOCAL/B0LOCAL/local-hook",
        "teams": f"{base}/_local/teams/workflows/local-flow/triggers/manual/run",
        "mastodon": json.dumps(
            {"instance": f"{base}/_local/mastodon", "token": "local-mastodon-token"}
        ),
    }
    with _client(session, "secretsmanager", endpoint_url) as secrets:
        for kind, name in SOCIAL_SECRETS.items():
            try:
                secrets.create_secret(Name=name, SecretString=values[kind])
            except secrets.exceptions.ResourceExistsException:
                secrets.put_secret_value(SecretId=name, SecretString=values[kind])
    return values


def _create_tables(settings: Settings, dynamodb: Any) -> None:
    existing = set(dynamodb.list_tables()["TableNames"])
    for definition, name in table_names(settings).items():
        if name in existing:
            continue
        dynamodb.create_table(**definition.create_table_arguments(name))
        if definition.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": True,
                    "AttributeName": definition.ttl_attribute,
                },
            )


def _create_queues(settings: Settings, sqs: Any) -> None:
    for queue in (settings.ingest_queue, settings.dispatch_queue, settings.erasure_queue):
        dead_letters = sqs.create_queue(QueueName=f"{queue}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sqs.create_queue(
            QueueName=queue,
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn,
                        "maxReceiveCount": str(settings.max_receive_count),
                    }
                ),
            },
        )


def seed(
    settings: Settings,
    session: boto3.Session | None = None,
    policies: Path = POLICIES,
    contacts_csv: Path = EXAMPLE_CONTACTS,
    endpoint_url: str | None = None,
) -> Seeded:
    """Load the playbook and the contacts, and (on the local stage) the local API key."""
    session = session or boto3.Session()
    documents = read_policy_dir(policies)
    playbook = documents.validate()
    with _client(session, "dynamodb", endpoint_url) as dynamodb:
        seeded = _seed(settings, dynamodb, documents, playbook, contacts_csv)
    if settings.site_bucket:
        with _client(session, "s3", endpoint_url) as s3:
            prepare_site(settings, s3, playbook.site)
    return seeded


def seed_console_key(
    settings: Settings, session: boto3.Session | None = None, endpoint_url: str | None = None
) -> None:
    """The console's sign-in on the local stack (``make run``): Ada Example's personal key,
    ``local-console-key``, on the local stage only. Apart from :func:`seed`, so a test's world
    holds no personal key it did not make."""
    if not settings.is_local:
        return
    with _client(session or boto3.Session(), "dynamodb", endpoint_url) as dynamodb:
        DynamoApiKeyStore(dynamodb, settings.config_table).add(
            LOCAL_CONSOLE_KEY, LOCAL_CONSOLE, datetime.now(UTC)
        )


def prepare_site(settings: Settings, s3: Any, site: SiteSettings | None) -> None:
    """The dark site's "no current incidents" page and feeds, unless a site is live already."""
    if site is not None and settings.site_bucket:
        publisher = S3SitePublisher(s3, settings.site_bucket)
        SiteEditor(publisher).prepare(site, datetime.now(UTC))


def _seed(
    settings: Settings,
    dynamodb: Any,
    documents: PolicyDocuments,
    playbook: Playbook,
    contacts_csv: Path,
) -> Seeded:
    DynamoPlaybookStore(dynamodb, settings.config_table).apply(
        documents.sections, datetime.now(UTC)
    )
    contacts, rejected = read_contacts_csv(
        contacts_csv, known_roles=playbook.roles, known_teams=playbook.teams
    )
    directory = DynamoContactDirectory(dynamodb, settings.contacts_table)
    for contact in contacts:
        directory.put(contact)
    if settings.local_api_key:
        DynamoApiKeyStore(dynamodb, settings.config_table).add(
            settings.local_api_key,
            replace(LOCAL_KEY, heartbeats=frozenset(playbook.heartbeats)),
            datetime.now(UTC),
        )
    return Seeded(len(playbook.rules), len(playbook.plans), len(contacts), len(rejected))
