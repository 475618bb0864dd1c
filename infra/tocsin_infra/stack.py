"""Tocsin's AWS resources: data, queues, topics, the Chalice app, least-privilege roles, alarms.

Physical names are ``tocsin-<stage>-<name>`` so several stages can share an account. The tables
come from ``chalicelib/storage/tables.py``, the same definitions the local stack and the tests use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    CfnResource,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cloudwatch_actions as cloudwatch_actions,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_secretsmanager as secretsmanager,
)
from aws_cdk import (
    aws_ses as ses,
)
from aws_cdk import (
    aws_smsvoice as smsvoice,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sns_subscriptions as subscriptions,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from aws_cdk import (
    aws_ssm as ssm,
)
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import settings as app_settings
from chalicelib.storage.tables import ALL_TABLES, CONFIG, CONTACTS, INCIDENTS, TableDefinition
from tocsin_infra.console_sign_in import ConsoleSignIn
from tocsin_infra.custom_domain import add_custom_domain
from tocsin_infra.dark_site import DarkSite
from tocsin_infra.gateway import add_gateway_responses
from tocsin_infra.observability import Observability
from tocsin_infra.privacy import (
    ERASE_FUNCTION,
    ERASE_LOGICAL_ID,
    add_erasure,
    erasure_environment,
)
from tocsin_infra.settings import DeploymentSettings
from tocsin_infra.spending import watch_held_messages
from tocsin_infra.watch import (
    CANARIES_FUNCTION,
    HEARTBEATS_FUNCTION,
    SOCIAL_FUNCTION,
    SOCIAL_SECRET_PREFIX,
    WATCH_LOGICAL_IDS,
    add_watch_alarms,
    grant_watching,
    read_social_secrets,
)

PROJECT = Path(__file__).resolve().parents[2]
RETENTION = {
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}
MAX_RECEIVE_COUNT = 5
FUNCTION_MEMORY_MB = 512  # more memory is more CPU: faster cold starts and batches
# Lambda's own guidance: a queue's visibility timeout at least six times the function timeout.
VISIBILITY_FACTOR = 6

# The Chalice function names (app.py) and their logical ids in the generated template.
API_FUNCTION = "api_handler"
EVALUATE_FUNCTION = "evaluate_events"
DISPATCH_FUNCTION = "dispatch_notifications"
AWS_EVENTS_FUNCTION = "receive_aws_events"
ALARM_MESSAGES_FUNCTION = "receive_alarm_messages"
TICK_FUNCTION = "fire_scheduled_triggers"
DELIVERY_FUNCTION = "track_deliveries"
SMS_STATUS_FUNCTION = "track_sms_status"  # SNS SMS delivery status, from CloudWatch Logs
ESCALATE_FUNCTION = "escalate_due_incidents"
REPLIES_FUNCTION = "answer_sms_replies"
HELD_MESSAGES_FUNCTION = "report_held_messages"  # the held-messages gauge (spending.py)
SITE_FUNCTION = "publish_site"  # the dark site's only writer (dark_site.py); the API invokes it
# Invoked asynchronously (EventBridge, SNS, schedules): Lambda retries twice, then uses the DLQ.
ASYNC_FUNCTIONS = (
    AWS_EVENTS_FUNCTION,
    ALARM_MESSAGES_FUNCTION,
    TICK_FUNCTION,
    DELIVERY_FUNCTION,
    SMS_STATUS_FUNCTION,
    ESCALATE_FUNCTION,
    REPLIES_FUNCTION,
    HEARTBEATS_FUNCTION,
    CANARIES_FUNCTION,
    SOCIAL_FUNCTION,
    HELD_MESSAGES_FUNCTION,
)
# Fed by SQS queues; they answer with partial batch responses (batchItemFailures).
SQS_FUNCTIONS = (EVALUATE_FUNCTION, DISPATCH_FUNCTION, ERASE_FUNCTION)
# Those that turn AWS's events into Tocsin events (record and queue them).
INGESTING_FUNCTIONS = (AWS_EVENTS_FUNCTION, ALARM_MESSAGES_FUNCTION, TICK_FUNCTION)
# Those that record delivery reports on the ledger.
TRACKING_FUNCTIONS = (DELIVERY_FUNCTION, SMS_STATUS_FUNCTION)
# On the path from an alert to a message: the ones reserved concurrency is for, when set.
CRISIS_PATH_FUNCTIONS = (API_FUNCTION, EVALUATE_FUNCTION, DISPATCH_FUNCTION)
# Where SNS writes the delivery status of SMS to phone numbers (per account and Region).
SNS_SMS_LOG_GROUPS = ("DirectPublishToPhoneNumber", "DirectPublishToPhoneNumber/Failure")
# End User Messaging events the configuration set publishes to delivery-events.
EUM_EVENT_TYPES = ["TEXT_ALL", "VOICE_ALL"]
# A dead letter older than this has waited too long for a replay (SQS keeps it 14 days).
DEAD_LETTER_AGE_ALARM_SECONDS = 24 * 3600
# checkov findings that do not apply, with the reason, attached to the resources themselves.
NO_ASYNC_DLQ_SKIP = {
    "id": "CKV_AWS_116",
    "comment": "Lambda DLQs catch async invocations only; this function is fed by SQS "
    "(a redrive DLQ with an alarm) or called synchronously by API Gateway",
}
FUNCTION_SKIPS = [
    {
        "id": "CKV_AWS_117",
        "comment": "Tocsin calls only AWS public endpoints; a VPC would add NAT "
        "cost and one more thing that can fail during a crisis",
    },
    {
        "id": "CKV_AWS_115",
        "comment": "reserved concurrency depends on the account's quota (new "
        "accounts cannot reserve any); docs/DEPLOY.md says when to set it",
    },
]
API_SKIPS = [
    {"id": "CKV_AWS_120", "comment": "an alert intake must never answer from a cache"},
    {
        "id": "CKV_AWS_76",
        "comment": "access logs need the account-wide API Gateway CloudWatch "
        "role, which one stack must not take over; docs/DEPLOY.md shows how to enable them",
    },
    {
        "id": "CKV_AWS_73",
        "comment": "tracing comes with Powertools Tracer (cold-start cost to "
        "measure first); function logs carry the correlation id meanwhile",
    },
]
SMS_STATUS_LOG_GROUP_SKIPS = [
    {
        "id": "CKV_AWS_158",
        "comment": "SNS's SMS delivery-status log group is shared by every stage in the account "
        "and Region and outlives this stack; it must not depend on one stage's key",
    },
]

LOGICAL_IDS = {
    API_FUNCTION: "APIHandler",
    EVALUATE_FUNCTION: "EvaluateEvents",
    DISPATCH_FUNCTION: "DispatchNotifications",
    AWS_EVENTS_FUNCTION: "ReceiveAwsEvents",
    ALARM_MESSAGES_FUNCTION: "ReceiveAlarmMessages",
    TICK_FUNCTION: "FireScheduledTriggers",
    DELIVERY_FUNCTION: "TrackDeliveries",
    SMS_STATUS_FUNCTION: "TrackSmsStatus",
    ESCALATE_FUNCTION: "EscalateDueIncidents",
    REPLIES_FUNCTION: "AnswerSmsReplies",
    **WATCH_LOGICAL_IDS,
    HELD_MESSAGES_FUNCTION: "ReportHeldMessages",
    ERASE_FUNCTION: ERASE_LOGICAL_ID,  # erasure jobs (tocsin_infra/privacy.py)
    SITE_FUNCTION: "PublishSite",
}


class TocsinStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        prefix = settings.prefix

        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{prefix}-data",
            description="Tocsin: contacts, incidents, queues and topics",
            enable_key_rotation=True,
            # Nothing is encrypted with it until the stack exists: a failed first deploy deletes
            # it (schedules its deletion) instead of leaving an alias that blocks the next.
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        self._let_services_use_the_key()
        self.tables = {definition: self._table(definition) for definition in ALL_TABLES}
        self.ingest_queue = self._queue("ingest")
        self.dispatch_queue = self._queue("dispatch")

        self.delivery_events = self._topic("delivery-events", "Tocsin delivery events")
        self.sms_inbound = self._topic("sms-inbound", "Tocsin two-way SMS replies")
        self.stakeholders = self._topic("stakeholders", "Tocsin stakeholder broadcast")
        self.operations = self._topic("operations", "Tocsin operations alarms")
        self.alarms = self._topic("alarms", "CloudWatch alarms for Tocsin to act on")
        self.async_dead_letters = sqs.Queue(
            self,
            "AsyncDeadLetters",
            queue_name=f"{prefix}-async-dlq",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
        )
        if settings.ops_email:
            self.operations.add_subscription(subscriptions.EmailSubscription(settings.ops_email))
        self._allow_publishing("ses.amazonaws.com", self.delivery_events)
        self._allow_publishing("sms-voice.amazonaws.com", self.delivery_events, self.sms_inbound)
        self._allow_publishing("cloudwatch.amazonaws.com", self.operations, self.alarms)

        self.email_configuration = ses.ConfigurationSet(
            self,
            "EmailConfigurationSet",
            configuration_set_name=prefix,
            reputation_metrics=True,
            sending_enabled=True,
        )
        email_events = self.email_configuration.add_event_destination(
            "DeliveryEvents",
            destination=ses.EventDestination.sns_topic(self.delivery_events),
            events=[
                ses.EmailSendingEvent.SEND,
                ses.EmailSendingEvent.DELIVERY,
                ses.EmailSendingEvent.BOUNCE,
                ses.EmailSendingEvent.COMPLAINT,
                ses.EmailSendingEvent.REJECT,
                ses.EmailSendingEvent.DELIVERY_DELAY,
                ses.EmailSendingEvent.RENDERING_FAILURE,
            ],
        )
        # SES publishes as ses.amazonaws.com: the topic policy first.
        email_events.node.add_dependency(_topic_policy(self.delivery_events))

        # Signs acknowledgement links; read by the functions that issue and check them.
        self.link_secret = secretsmanager.Secret(
            self,
            "LinkSecret",
            secret_name=f"{prefix}/link-signing-key",
            description="Tocsin: the key that signs acknowledgement links",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        self.public_url_parameter = f"/{prefix}/public-url"
        self.log_groups = {name: self._log_group(name) for name in LOGICAL_IDS}
        self.roles = {name: self._role(name) for name in LOGICAL_IDS}
        self._grant()
        self.erasure_queue = add_erasure(self)
        # The dark site: its own bucket behind CloudFront, written by publish_site alone; the
        # API (publishing a statement) invokes it and may do nothing else to the site.
        self.site = DarkSite(
            self,
            "DarkSite",
            prefix=prefix,
            publisher=self.roles[SITE_FUNCTION],
            domain_name=settings.site_domain_name,
            certificate_arn=settings.site_certificate_arn,
        )
        # The console's sign-in through the organisation's identity provider, when asked for.
        self.console_sign_in = (
            ConsoleSignIn(
                self,
                "ConsoleSignIn",
                prefix=prefix,
                settings=settings.console_sign_in,
                console_url=f"{settings.public_url}/console",
            )
            if settings.console_sign_in
            else None
        )
        self._grant_site_publishing()
        self.app = Chalice(
            self, "App", source_dir=str(PROJECT), stage_config=self._chalice_stage_config()
        )
        # Where links point: the custom domain if given, else the API's own address, known only
        # now (the functions read it by name at cold start, so nothing refers back to the API).
        rest_api = self.app.get_resource("RestAPI")
        ssm.StringParameter(
            self,
            "PublicUrl",
            parameter_name=self.public_url_parameter,
            description="Tocsin: the address acknowledgement links point to",
            string_value=settings.public_url
            or f"https://{rest_api.ref}.execute-api.{self.region}.{self.url_suffix}/api",
        )
        self._configure_functions()
        self._configure_api()
        add_gateway_responses(rest_api)
        if settings.api_domain_name and settings.api_certificate_arn:
            add_custom_domain(
                self, rest_api, settings.api_domain_name, settings.api_certificate_arn
            )
        if settings.has_origination_identities:
            self._report_end_user_messaging_events()
        if settings.sms_through_sns:
            self._forward_sns_sms_status()
        self._alarms()
        self.observability = Observability(
            self,
            "Observability",
            prefix=prefix,
            stage=settings.stage,
            alarm_topic=self.operations,
            functions={name: self._function_name(name) for name in LOGICAL_IDS},
            queues={"ingest": self.ingest_queue, "dispatch": self.dispatch_queue},
        )

    # --- data -------------------------------------------------------------------------

    def _table(self, definition: TableDefinition) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{definition.logical_name.title()}Table",
            table_name=f"{self.settings.prefix}-{definition.logical_name}",
            partition_key=dynamodb.Attribute(
                name=definition.partition_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(
                name=definition.sort_key, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=definition.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in definition.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.partition_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(
                    name=index.sort_key, type=dynamodb.AttributeType.STRING
                ),
                projection_type=dynamodb.ProjectionType.INCLUDE
                if index.projected
                else dynamodb.ProjectionType.KEYS_ONLY,
                non_key_attributes=list(index.projected) or None,
            )
        return table

    def _queue(self, name: str) -> sqs.Queue:
        prefix = self.settings.prefix
        dead_letters = sqs.Queue(
            self,
            f"{name.title()}DeadLetters",
            queue_name=f"{prefix}-{name}-dlq",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
        )
        return sqs.Queue(
            self,
            f"{name.title()}Queue",
            queue_name=f"{prefix}-{name}",
            visibility_timeout=Duration.seconds(
                VISIBILITY_FACTOR * self.settings.worker_timeout_seconds
            ),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVE_COUNT, queue=dead_letters
            ),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
        )

    def _topic(self, name: str, display_name: str) -> sns.Topic:
        return sns.Topic(
            self,
            f"{''.join(part.title() for part in name.split('-'))}Topic",
            topic_name=f"{self.settings.prefix}-{name}",
            display_name=display_name,
            master_key=self.key,
            enforce_ssl=True,
        )

    def _let_services_use_the_key(self) -> None:
        """SES, End User Messaging and CloudWatch publish to the encrypted topics."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AwsServicesPublishToEncryptedTopics",
                principals=[
                    iam.ServicePrincipal("ses.amazonaws.com"),
                    iam.ServicePrincipal("sms-voice.amazonaws.com"),
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        # CloudWatch Logs encrypts the function log groups with this key, and checks this
        # statement when each group is created. The condition names the groups by their ARNs,
        # built from their names: referring to the log groups would make a cycle (they need the
        # key first).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptFunctionLogs",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            self._log_group_arn(self._log_group_name(name)) for name in LOGICAL_IDS
                        ]
                    }
                },
            )
        )

    def _log_group_arn(self, name: str) -> str:
        return self.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _allow_publishing(self, service: str, *topics: sns.Topic) -> None:
        for topic in topics:
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )

    # --- functions ----------------------------------------------------------------------

    def _function_name(self, name: str) -> str:
        """Set on each function, so its log group, role and alarms can name it in advance."""
        return f"{self.settings.prefix}-{name}"

    def _log_group_name(self, name: str) -> str:
        return f"/aws/lambda/{self._function_name(name)}"

    def _log_group(self, name: str) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            f"{LOGICAL_IDS[name]}Logs",
            log_group_name=self._log_group_name(name),
            retention=RETENTION[self.settings.log_retention_days],
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )

    def _role(self, name: str) -> iam.Role:
        role = iam.Role(
            self,
            f"{LOGICAL_IDS[name]}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Tocsin {name}: only what that function does",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{self.log_groups[name].log_group_arn}"],
            )
        )
        return role

    def _grant(self) -> None:
        api, evaluate, dispatch = (
            self.roles[name] for name in (API_FUNCTION, EVALUATE_FUNCTION, DISPATCH_FUNCTION)
        )
        config, contacts, incidents = (self.tables[t] for t in (CONFIG, CONTACTS, INCIDENTS))
        # HTTP API: read API keys and the playbook, record events, read incidents; put events on
        # the ingest queue; count requests per key and remember signatures (UpdateItem, PutItem).
        # Manual activation opens incidents and queues their notifications like the evaluator;
        # the contacts API writes contacts and starts erasure jobs (tocsin_infra/privacy.py).
        # It also answers incidents (links, acknowledge, decline, resolve) and edits on-call
        # overrides (config: PutItem, DeleteItem).
        config.grant(
            api, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"
        )
        incidents.grant(
            api,
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "dynamodb:BatchWriteItem",
        )
        contacts.grant(
            api,
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
        )
        self.ingest_queue.grant_send_messages(api)
        self.dispatch_queue.grant_send_messages(api)
        # Evaluator: the playbook, contacts by role and team, incidents and activation logs
        # (BatchGetItem); ingest in, dispatch out.
        config.grant(evaluate, "dynamodb:GetItem", "dynamodb:Query")
        contacts.grant(evaluate, "dynamodb:Query", "dynamodb:BatchGetItem")
        incidents.grant(
            evaluate,
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem",
        )
        self.ingest_queue.grant_consume_messages(evaluate)
        self.dispatch_queue.grant_send_messages(evaluate)
        # AWS events and alarm messages: record events and queue them; failures to their DLQ.
        for name in INGESTING_FUNCTIONS:
            role = self.roles[name]
            incidents.grant(role, "dynamodb:PutItem", "dynamodb:DeleteItem")
            self.ingest_queue.grant_send_messages(role)
        for name in ASYNC_FUNCTIONS:
            self.async_dead_letters.grant_send_messages(self.roles[name])
        # Delivery events: find the ledger item by message id, record the news on it and the
        # timeline; retire an address that bounced (contacts: read, then rewrite memberships).
        # The same for SNS SMS delivery status, which arrives from CloudWatch Logs.
        for name in TRACKING_FUNCTIONS:
            tracker = self.roles[name]
            incidents.grant(tracker, "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem")
            contacts.grant(
                tracker,
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
            )
        # The tick also reads the playbook's schedules (and claims slots with PutItem/DeleteItem).
        config.grant(self.roles[TICK_FUNCTION], "dynamodb:GetItem", "dynamodb:Query")
        # Dispatcher: the playbook version's templates, contacts, the ledger and timeline
        # (BatchWriteItem: fallback entries); SMS, voice and email. A check-in's reminders
        # read who has answered since they were queued (BatchGetItem), a lead's message who of
        # theirs is silent (Query).
        config.grant(dispatch, "dynamodb:GetItem", "dynamodb:Query")
        contacts.grant(dispatch, "dynamodb:BatchGetItem")
        incidents.grant(
            dispatch,
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "dynamodb:PutItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:ConditionCheckItem",
        )
        # The evaluator sends an incident's first messages itself (core/messaging/first_batch.py):
        # it reaches people as the dispatcher does (the tables above grant it the rest).
        for sender in (dispatch, evaluate):
            self._grant_sending(sender)
        self.dispatch_queue.grant_consume_messages(dispatch)
        # A job another invocation holds goes back on the dispatch queue, delayed until that
        # claim would be stale (core/messaging/uncertain.py).
        self.dispatch_queue.grant_send_messages(dispatch)
        # Links: the senders issue them, the API checks them; all need the key and address.
        for role in (dispatch, evaluate, api):
            self.link_secret.grant_read(role)
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[
                        self.format_arn(
                            service="ssm",
                            resource="parameter",
                            resource_name=self.public_url_parameter.lstrip("/"),
                        )
                    ],
                )
            )
        self._grant_responding()
        grant_watching(
            self.roles, self.tables, self.ingest_queue, self.dispatch_queue, self.operations
        )
        self._grant_spending()
        # Statements (issue #25): the API publishes a statement once enough people approved it,
        # to the stakeholder topic (granted by name) and to distribution lists by email. The
        # dispatcher no longer publishes to the topic: nothing reaches an audience unapproved.
        self.stakeholders.grant_publish(api)
        api.add_to_policy(self._email_from_the_sender_identity())
        # Statements on Slack, Teams and Mastodon (issue #28): the API posts them, the hourly
        # check asks whether each still works; both read the secrets named tocsin/*.
        secrets_arn = self.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{SOCIAL_SECRET_PREFIX}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for role in (api, self.roles[SOCIAL_FUNCTION]):
            read_social_secrets(role, secrets_arn)

    def _grant_sending(self, role: iam.Role) -> None:
        """What sending a message takes: SMS and voice through End User Messaging (when an
        origination identity is set), SMS through SNS to phone numbers, email from the sender
        identity, push through Pinpoint (when a project is set)."""
        for sid, action, arn in (
            (
                "SmsThroughEndUserMessaging",
                "sms-voice:SendTextMessage",
                self.settings.sms_origination_arn,
            ),
            (
                "VoiceThroughEndUserMessaging",
                "sms-voice:SendVoiceMessage",
                self.settings.voice_origination_arn,
            ),
        ):
            if arn:
                role.add_to_policy(
                    iam.PolicyStatement(
                        sid=sid,
                        actions=[action],
                        # The origination identity, the account's opt-out lists (checked by
                        # End User Messaging on every send) and the configuration set.
                        resources=[
                            arn,
                            self.format_arn(
                                service="sms-voice", resource="opt-out-list", resource_name="*"
                            ),
                            self._text_configuration_set_arn(),
                        ],
                    )
                )
        if self.settings.push_application_id:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="PushToDevices",
                    actions=["mobiletargeting:SendMessages"],
                    resources=[
                        self.format_arn(
                            service="mobiletargeting",
                            resource="apps",
                            resource_name=f"{self.settings.push_application_id}/messages",
                        )
                    ],
                )
            )
        role.add_to_policy(self._sms_to_phone_numbers())
        role.add_to_policy(self._email_from_the_sender_identity())

    def _grant_site_publishing(self) -> None:
        """publish_site reads the statement it is asked to post (and its incident and the
        playbook) and writes the site (DarkSite grants that); the API may only invoke it."""
        config, incidents = self.tables[CONFIG], self.tables[INCIDENTS]
        publisher = self.roles[SITE_FUNCTION]
        config.grant(publisher, "dynamodb:GetItem", "dynamodb:Query")
        incidents.grant(publisher, "dynamodb:GetItem", "dynamodb:Query")
        self.roles[API_FUNCTION].add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTheSitePublisher",
                actions=["lambda:InvokeFunction"],
                resources=[
                    self.format_arn(
                        service="lambda",
                        resource="function",
                        resource_name=self._function_name(SITE_FUNCTION),
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )

    def _email_from_the_sender_identity(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="EmailFromTheSenderIdentity",
            actions=["ses:SendEmail"],
            resources=[
                self.format_arn(
                    service="ses", resource="identity", resource_name=self.settings.sender_email
                ),
                self.format_arn(
                    service="ses",
                    resource="identity",
                    resource_name=self.settings.sender_domain,
                ),
                self.format_arn(
                    service="ses",
                    resource="configuration-set",
                    resource_name=self.settings.prefix,
                ),
            ],
        )

    def _grant_responding(self) -> None:
        """The escalation tick and the SMS-reply handler."""
        config, contacts, incidents = (self.tables[t] for t in (CONFIG, CONTACTS, INCIDENTS))
        tick, replies = self.roles[ESCALATE_FUNCTION], self.roles[REPLIES_FUNCTION]
        for role in (tick, replies):
            # The playbook and overrides; who holds a role or a number; the incident, its
            # response state (conditional UpdateItem), the due index (Query) and timeline.
            config.grant(role, "dynamodb:GetItem", "dynamodb:Query")
            contacts.grant(role, "dynamodb:Query", "dynamodb:BatchGetItem")
            incidents.grant(
                role,
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:PutItem",
                "dynamodb:BatchWriteItem",
            )
            self.dispatch_queue.grant_send_messages(role)
        # The tick also closes check-ins at their deadline (their open marker is deleted), and
        # queues the events held outside hours once their window opens (to be decided).
        incidents.grant(tick, "dynamodb:DeleteItem")
        self.ingest_queue.grant_send_messages(tick)
        # A STOP rewrites the contact (opted out), and answers go back by SMS.
        contacts.grant(replies, "dynamodb:PutItem", "dynamodb:DeleteItem")
        if self.settings.sms_origination_arn:
            replies.add_to_policy(
                iam.PolicyStatement(
                    actions=["sms-voice:SendTextMessage"],
                    resources=[
                        self.settings.sms_origination_arn,
                        self.format_arn(
                            service="sms-voice", resource="opt-out-list", resource_name="*"
                        ),
                        self._text_configuration_set_arn(),
                    ],
                )
            )
        else:
            replies.add_to_policy(self._sms_to_phone_numbers())

    def _grant_spending(self) -> None:
        """The message budget (issue #20). The dispatcher counts, holds and pages the release
        role (on the dispatch queue it reads); the gauge tick reads the holds."""
        incidents = self.tables[INCIDENTS]
        self.dispatch_queue.grant_send_messages(self.roles[DISPATCH_FUNCTION])
        incidents.grant(self.roles[HELD_MESSAGES_FUNCTION], "dynamodb:Query")

    def _sms_to_phone_numbers(self) -> iam.PolicyStatement:
        """sns:Publish to phone numbers only.

        Publishing to a phone number has no resource ARN, so the grant is on everything that is
        not an SNS ARN: no topic (not Tocsin's own, where a forged message would pass for an
        SMS reply or an alarm) and no platform endpoint. Topics are granted by name.
        """
        return iam.PolicyStatement(
            sid="SmsToPhoneNumbersOnly",
            actions=["sns:Publish"],
            not_resources=[f"arn:{self.partition}:sns:*:*:*"],
        )

    def _text_configuration_set_arn(self) -> str:
        return self.format_arn(
            service="sms-voice",
            resource="configuration-set",
            resource_name=self.settings.prefix,
        )

    def _chalice_stage_config(self) -> dict[str, Any]:
        settings = self.settings
        environment = {
            app_settings.STAGE: settings.stage,
            app_settings.CONFIG_TABLE: self.tables[CONFIG].table_name,
            app_settings.CONTACTS_TABLE: self.tables[CONTACTS].table_name,
            app_settings.INCIDENTS_TABLE: self.tables[INCIDENTS].table_name,
            app_settings.INGEST_QUEUE: f"{settings.prefix}-ingest",
            app_settings.DISPATCH_QUEUE: f"{settings.prefix}-dispatch",
            **erasure_environment(settings.prefix),
            app_settings.ALARMS_TOPIC: f"{settings.prefix}-alarms",
            app_settings.DELIVERY_TOPIC: f"{settings.prefix}-delivery-events",
            app_settings.INBOUND_SMS_TOPIC: f"{settings.prefix}-sms-inbound",
            app_settings.LINK_SECRET_ARN: self.link_secret.secret_arn,
            app_settings.PUBLIC_URL_PARAMETER: self.public_url_parameter,
            app_settings.STAKEHOLDERS_TOPIC_ARN: self.stakeholders.topic_arn,
            app_settings.OPERATIONS_TOPIC_ARN: self.operations.topic_arn,
            app_settings.SITE_BUCKET: self.site.bucket.bucket_name,
            app_settings.SITE_FUNCTION: self._function_name(SITE_FUNCTION),
            app_settings.SITE_DISTRIBUTION: self.site.distribution.distribution_id,
            app_settings.SENDER_EMAIL: settings.sender_email,
            app_settings.SES_CONFIGURATION_SET: settings.prefix,
            app_settings.SEND_CLAIM_TIMEOUT_SECONDS: str(2 * settings.worker_timeout_seconds),
            # The evaluator marks an event failed at its queue message's last receive.
            app_settings.MAX_RECEIVE_COUNT: str(MAX_RECEIVE_COUNT),
            # Each sending instance (dispatcher, and evaluator: it sends each incident's first
            # messages) paces itself to its share of the account's quotas; the two mappings'
            # maximum concurrencies add up to the same number (_configure_functions).
            app_settings.DISPATCH_CONCURRENCY: str(
                settings.dispatch_concurrency + settings.evaluate_concurrency
            ),
            **(
                {
                    app_settings.SMS_PROVIDER: "eum",
                    app_settings.SMS_ORIGINATION: settings.sms_origination_arn,
                }
                if settings.sms_origination_arn
                else {}
            ),
            **(
                {app_settings.SMS_CONFIGURATION_SET: settings.prefix}
                if settings.has_origination_identities
                else {}
            ),
            **(
                {app_settings.PUSH_APPLICATION_ID: settings.push_application_id}
                if settings.push_application_id
                else {}
            ),
            **(
                {app_settings.VOICE_ORIGINATION: settings.voice_origination_arn}
                if settings.voice_origination_arn
                else {}
            ),
            **(self._console_environment(self.console_sign_in) if self.console_sign_in else {}),
            "POWERTOOLS_SERVICE_NAME": "tocsin",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        # app.py reads the queue and topic names when `chalice package` imports it, to bind the
        # event sources; give it the same names the functions will see.
        for variable in app_settings.DEFAULT_BOUND_NAMES:
            os.environ[variable] = environment[variable]
        return {
            "api_gateway_stage": "api",
            "manage_iam_role": False,
            # Replaced per function in _configure_functions: chalice.cdk reads per-function
            # settings ("lambda_functions") only from .chalice/config.json, never from here.
            "iam_role_arn": self.roles[API_FUNCTION].role_arn,
            "autogen_policy": False,
            "environment_variables": environment,
        }

    @staticmethod
    def _console_environment(sign_in: ConsoleSignIn) -> dict[str, str]:
        return {
            app_settings.CONSOLE_IDP_ISSUER: sign_in.issuer,
            app_settings.CONSOLE_IDP_CLIENT_ID: sign_in.client.user_pool_client_id,
            app_settings.CONSOLE_IDP_DOMAIN: sign_in.domain_url,
        }

    def _configure_functions(self) -> None:
        """Each function gets its own role, timeout and memory."""
        timeouts = {name: self.settings.worker_timeout_seconds for name in LOGICAL_IDS}
        timeouts[API_FUNCTION] = self.settings.api_timeout_seconds
        for name, logical_id in LOGICAL_IDS.items():
            function = self.app.get_resource(logical_id)
            function.add_property_override("FunctionName", self._function_name(name))
            function.add_property_override("Role", self.roles[name].role_arn)
            function.add_property_override("Timeout", timeouts[name])
            function.add_property_override("MemorySize", FUNCTION_MEMORY_MB)
            function.add_property_override("KmsKeyArn", self.key.key_arn)
            if name in ASYNC_FUNCTIONS:
                function.add_property_override(
                    "DeadLetterQueue",
                    {"Type": "SQS", "TargetArn": self.async_dead_letters.queue_arn},
                )
                function.add_metadata("checkov", {"skip": FUNCTION_SKIPS})
            else:
                function.add_metadata("checkov", {"skip": [NO_ASYNC_DLQ_SKIP, *FUNCTION_SKIPS]})
            function.node.add_dependency(self.log_groups[name])
            self.key.grant_decrypt(self.roles[name])
            self._order_after_what_it_needs(name, function)
            if name in CRISIS_PATH_FUNCTIONS and self.settings.reserved_concurrency:
                function.add_property_override(
                    "ReservedConcurrentExecutions", self.settings.reserved_concurrency
                )
        # Lambda starts 5 batches at once and adds up to 300 a minute; each sender paces itself
        # to 1/TOCSIN_DISPATCH_CONCURRENCY of the quotas (the dispatchers and the evaluators
        # together), so the two ceilings add up to it.
        for name, ceiling in (
            (DISPATCH_FUNCTION, self.settings.dispatch_concurrency),
            (EVALUATE_FUNCTION, self.settings.evaluate_concurrency),
        ):
            logical_id = LOGICAL_IDS[name]
            self.app.get_resource(logical_id).add_property_override(
                f"Events.{logical_id}SqsEventSource.Properties.ScalingConfig",
                {"MaximumConcurrency": ceiling},
            )
        # The queue handlers answer with partial batch responses: only the records they name
        # go back to the queue (Chalice 1.34 has no option for it, so it is set here).
        for name in SQS_FUNCTIONS:
            logical_id = LOGICAL_IDS[name]
            self.app.get_resource(logical_id).add_property_override(
                f"Events.{logical_id}SqsEventSource.Properties.FunctionResponseTypes",
                ["ReportBatchItemFailures"],
            )

    def _order_after_what_it_needs(self, name: str, function: CfnResource) -> None:
        """Lambda checks the role's permissions when a queue mapping or an async dead-letter
        queue is set up, and SNS needs the topic when it subscribes the function. The event
        sources (made by the SAM transform from the function's Events) name their queues and
        topics by name, and the function gets its role by ARN, so nothing would order them:
        the function (and so everything made from it) waits for its role's policy and for the
        queue or topic it is bound to."""
        policy = self.roles[name].node.find_child("DefaultPolicy")
        assert isinstance(policy, iam.Policy)
        function.node.add_dependency(policy)
        bound: dict[str, list[Any]] = {
            EVALUATE_FUNCTION: [self.ingest_queue],
            DISPATCH_FUNCTION: [self.dispatch_queue],
            ALARM_MESSAGES_FUNCTION: [self.alarms],
            DELIVERY_FUNCTION: [self.delivery_events],
            REPLIES_FUNCTION: [self.sms_inbound],
        }
        for resource in bound.get(name, []):
            function.node.add_dependency(resource)

    def _configure_api(self) -> None:
        rest_api = self.app.get_resource("RestAPI")
        rest_api.add_metadata("checkov", {"skip": API_SKIPS})
        # Any OpenApiVersion stops SAM from also deploying the whole API as a stage named
        # "Stage" (for backwards compatibility it does so by default); Chalice writes Swagger 2.0.
        rest_api.add_property_override("OpenApiVersion", "2.0")
        # Throttling for every method of the stage, so that a runaway client meets API
        # Gateway's limit before it meets the account's Lambda concurrency.
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    "HttpMethod": "*",
                    "ResourcePath": "/*",
                    "ThrottlingRateLimit": self.settings.api_rate_limit,
                    "ThrottlingBurstLimit": self.settings.api_burst_limit,
                }
            ],
        )
        CfnOutput(
            self,
            "PublicUrlParameter",
            value=self.public_url_parameter,
            description="SSM parameter with the API's address (tocsin smoke reads it)",
        )

    def _report_end_user_messaging_events(self) -> None:
        """A configuration set whose events (delivered, failed, ...) go to delivery-events;
        the functions pass its name with every SendTextMessage and SendVoiceMessage."""
        configuration_set = smsvoice.CfnConfigurationSet(
            self,
            "TextConfigurationSet",
            configuration_set_name=self.settings.prefix,
            event_destinations=[
                smsvoice.CfnConfigurationSet.EventDestinationProperty(
                    event_destination_name="delivery-events",
                    enabled=True,
                    matching_event_types=EUM_EVENT_TYPES,
                    sns_destination=smsvoice.CfnConfigurationSet.SnsDestinationProperty(
                        topic_arn=self.delivery_events.topic_arn
                    ),
                )
            ],
        )
        # End User Messaging publishes as sms-voice.amazonaws.com: the topic policy first.
        configuration_set.node.add_dependency(_topic_policy(self.delivery_events))

    def _forward_sns_sms_status(self) -> None:
        """SNS writes SMS delivery status only to CloudWatch Logs (once the account's
        DeliveryStatusIAMRole SMS attribute names a role like the one below): a subscription
        filter on those log groups hands each record to track_sms_status."""
        prefix = self.settings.prefix
        names = [f"sns/{self.region}/{self.account}/{group}" for group in SNS_SMS_LOG_GROUPS]
        arns = [self._log_group_arn(name) for name in names]
        role = iam.Role(
            self,
            "SmsDeliveryStatusRole",
            assumed_by=iam.ServicePrincipal(
                "sns.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
            description="SNS writes SMS delivery status to CloudWatch Logs (account SMS setting)",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:PutRetentionPolicy",
                ],
                resources=[*arns, *(f"{arn}:*" for arn in arns)],
            )
        )
        CfnOutput(
            self,
            "SmsDeliveryStatusRoleArn",
            value=role.role_arn,
            description="aws sns set-sms-attributes --attributes DeliveryStatusIAMRole=<this>,"
            "DeliveryStatusSuccessSamplingRate=100",
        )
        function = self.app.get_resource(LOGICAL_IDS[SMS_STATUS_FUNCTION])
        permission = lambda_.CfnPermission(
            self,
            "SmsStatusLogsInvoke",
            action="lambda:InvokeFunction",
            function_name=function.get_att("Arn").to_string(),
            principal="logs.amazonaws.com",
            source_account=self.account,
            source_arn=self.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"sns/{self.region}/{self.account}/DirectPublishToPhoneNumber*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
        )
        for group, name in zip(SNS_SMS_LOG_GROUPS, names, strict=True):
            logical = "".join(part for part in group.split("/")) + "Status"
            subscription = logs.CfnSubscriptionFilter(
                self,
                f"{logical}Subscription",
                log_group_name=name,
                filter_name=f"{prefix}-sms-status",
                filter_pattern="",  # every record: SNS writes nothing else there
                destination_arn=function.get_att("Arn").to_string(),
            )
            subscription.node.add_dependency(permission)
            if self.settings.sms_status_log_groups == "create":
                log_group = logs.LogGroup(
                    self,
                    f"{logical}Logs",
                    log_group_name=name,
                    retention=RETENTION[self.settings.log_retention_days],
                    # Shared by every stage here; SNS would create it at its first SMS anyway.
                    removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
                )
                cfn_group = log_group.node.default_child
                assert isinstance(cfn_group, logs.CfnLogGroup)
                cfn_group.add_metadata("checkov", {"skip": SMS_STATUS_LOG_GROUP_SKIPS})
                subscription.node.add_dependency(log_group)

    # --- alarms, through a second path (the operations topic, not Tocsin itself) -------------

    def _alarms(self) -> None:
        action = cloudwatch_actions.SnsAction(self.operations)
        dead_letters: list[tuple[str, sqs.IQueue]] = [("Async", self.async_dead_letters)]
        for name, queue in (("Ingest", self.ingest_queue), ("Dispatch", self.dispatch_queue)):
            assert queue.dead_letter_queue is not None
            dead_letters.append((name, queue.dead_letter_queue.queue))
        for name, dead_letter_queue in dead_letters:
            alarm = dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1),
                statistic="Maximum",
            ).create_alarm(
                self,
                f"{name}DeadLettersAlarm",
                alarm_name=f"{self.settings.prefix}-{name.lower()}-dead-letters",
                alarm_description=f"Messages the {name.lower()} step could not process "
                "(replay them once the cause is fixed: every step is idempotent)",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
        # Work that waits: a queue whose oldest message keeps ageing is stuck or starved
        # (throttling, a failing consumer, a concurrency cap), before anything lands in a DLQ.
        waiting: list[tuple[str, sqs.IQueue, int]] = [
            ("ingest", self.ingest_queue, self.settings.queue_age_alarm_seconds),
            ("dispatch", self.dispatch_queue, self.settings.queue_age_alarm_seconds),
            *(
                (f"{name.lower()}-dead-letters", queue, DEAD_LETTER_AGE_ALARM_SECONDS)
                for name, queue in dead_letters
            ),
        ]
        for name, waiting_queue, seconds in waiting:
            waiting_queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic="Maximum"
            ).create_alarm(
                self,
                f"{''.join(part.title() for part in name.split('-'))}AgeAlarm",
                alarm_name=f"{self.settings.prefix}-{name}-age",
                alarm_description=f"The oldest message on {waiting_queue.queue_name} has waited "
                f"{seconds} s or more (look at the consumer's errors and throttles)",
                threshold=seconds,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ).add_alarm_action(action)
        for name, logical_id in LOGICAL_IDS.items():
            errors = cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions_map={"FunctionName": self._function_name(name)},
                period=Duration.minutes(1),
                statistic="Sum",
            )
            alarm = errors.create_alarm(
                self,
                f"{logical_id}ErrorsAlarm",
                alarm_name=f"{self.settings.prefix}-{name}-errors",
                alarm_description=f"{name} raised errors (its batch is retried; look at its logs)",
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
        # Alarms on Tocsin's own metrics (failed messages...) are in tocsin_infra/observability;
        # those on the watching and spending ticks' gauge lines, in tocsin_infra/watch and spending.
        watch_held_messages(
            self, self.log_groups[HELD_MESSAGES_FUNCTION], action, self.settings.prefix
        )
        add_watch_alarms(self, self.settings.prefix, self.settings.stage, self.log_groups, action)


def _topic_policy(topic: sns.Topic) -> sns.TopicPolicy:
    """The topic's resource policy (CDK makes it on the first statement, with the id Policy)."""
    policy = topic.node.try_find_child("Policy")
    assert isinstance(policy, sns.TopicPolicy), f"{topic.node.path} has no policy yet"
    return policy
