"""The composition root: builds clients, adapters and services on first use, never at import.

Tests call :func:`reset` so every test builds its clients inside its own moto mock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import TocsinError, TransientError
from chalicelib.core.model import Channel, Notice
from chalicelib.core.telemetry import Meter
from chalicelib.observability import log_dispatched, logger, metrics
from chalicelib.settings import (
    LINK_SECRET_ARN,
    PUBLIC_URL,
    PUBLIC_URL_PARAMETER,
    SITE_BUCKET,
    Settings,
    SettingsError,
    get_settings,
)

if TYPE_CHECKING:
    from chalicelib.channels.social import SocialChannels
    from chalicelib.core.activation.evaluator import Evaluator
    from chalicelib.core.activation.idempotency import Idempotency
    from chalicelib.core.activation.intake import IngestService
    from chalicelib.core.activation.manual import ManualActivation
    from chalicelib.core.activation.notifier import Notifier
    from chalicelib.core.activation.out_of_hours import HeldEvents
    from chalicelib.core.activation.scheduled import ScheduledTriggers
    from chalicelib.core.activation.verification import Gatekeeper
    from chalicelib.core.checkins.reminders import CheckinReminders
    from chalicelib.core.checkins.roll_call import CheckinDesk
    from chalicelib.core.console.idp_tokens import IdentityPool, IdentityProvider
    from chalicelib.core.drills.review import DrillReview
    from chalicelib.core.drills.runner import DrillDesk
    from chalicelib.core.dropin.alerts import AlertDesk
    from chalicelib.core.dropin.changes import ChangeLog
    from chalicelib.core.messaging.dispatch import Dispatcher
    from chalicelib.core.messaging.first_batch import FirstBatch
    from chalicelib.core.messaging.passes import AckLinks
    from chalicelib.core.messaging.ports import ChannelSender
    from chalicelib.core.messaging.receipts import DeliveryTracker
    from chalicelib.core.messaging.writers import NoticeWriters
    from chalicelib.core.oncall.calendar import PersonalCalendars
    from chalicelib.core.oncall.coverage import OnCall
    from chalicelib.core.playbook.retention import Retention
    from chalicelib.core.ports import Clock
    from chalicelib.core.privacy.contact_access import ContactAccess
    from chalicelib.core.privacy.erasure import Erasure
    from chalicelib.core.reports.period import AnalyticsDesk
    from chalicelib.core.reports.report_desk import ReportDesk
    from chalicelib.core.response.answers import Responses
    from chalicelib.core.response.duties import Duties
    from chalicelib.core.response.escalator import Escalator
    from chalicelib.core.response.replies import InboundReplies
    from chalicelib.core.site.ports import SitePoster
    from chalicelib.core.spend.gate import SpendGate
    from chalicelib.core.spend.holds import HoldDesk
    from chalicelib.core.statements.channel_checks import ChannelChecks
    from chalicelib.core.statements.desk import StatementDesk
    from chalicelib.core.statements.site_outlet import SiteOutlet
    from chalicelib.core.updates import UpdateDesk
    from chalicelib.core.watch.canaries import Canaries
    from chalicelib.core.watch.heartbeats import Heartbeats
    from chalicelib.storage.api_keys import DynamoApiKeyStore
    from chalicelib.storage.audit import DynamoAccessLog
    from chalicelib.storage.checkins import DynamoCheckinStore
    from chalicelib.storage.contacts import DynamoContactDirectory
    from chalicelib.storage.dead_letters import DynamoFailureLog, SqsDeadLetters
    from chalicelib.storage.drills import DynamoDrillRegister
    from chalicelib.storage.erasure_jobs import DynamoErasureJobs
    from chalicelib.storage.events import DynamoEventStore
    from chalicelib.storage.guards import DynamoRateLimiter, DynamoReplayGuard
    from chalicelib.storage.heartbeats import DynamoHeartbeatStore
    from chalicelib.storage.holds import DynamoHoldStore
    from chalicelib.storage.incidents import DynamoIncidentStore
    from chalicelib.storage.ledger import DynamoSendLedger
    from chalicelib.storage.lists import DynamoLists
    from chalicelib.storage.overrides import DynamoOverrideStore
    from chalicelib.storage.playbooks import CachedPlaybookSource, DynamoPlaybookStore
    from chalicelib.storage.queues import SqsDispatchQueue
    from chalicelib.storage.responders import DynamoResponderRegistry
    from chalicelib.storage.retention import IncidentExpiries, Lifetimes
    from chalicelib.storage.spending import DynamoSpendCounters
    from chalicelib.storage.statements import DynamoStatementStore
    from chalicelib.storage.updates import DynamoUpdateSchedule

# Fail fast and let the queue retry: a Lambda stuck in SDK retries helps nobody at 3 a.m.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10
)
# The clients that hand messages to AWS make one attempt each: the pacer
# (core/messaging/pacing.py) owns their retries, so every attempt passes its token bucket and
# every throttle slows it down. botocore's own retries under it made up to 20 calls per message
# (4 attempts times the pacer's 5), spending quota the bucket never saw, and retried calls whose
# answer was lost without anyone knowing a message might go out twice.
SENDING_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10
)
SENDING_SERVICES = ("sns", "sesv2", "pinpoint-sms-voice-v2", "pinpoint")
# Invoking publish_site: one attempt, answered within the API's own 15 s (a slow answer is an
# unknown outcome: the outlet is released and publishing again posts it, once, on the site).
SITE_INVOKE_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=12
)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Container:
    """Everything the handlers use, built on first use from ``settings`` and ``session``.

    ``endpoint_url``: one endpoint for every AWS service (the local stack's stand-in), for
    callers that must not depend on the environment (the ``tocsin`` command); Lambda and the
    local stack's processes leave it None (boto3 then reads ``AWS_ENDPOINT_URL``, if set).
    ``identity_provider``: the console's identity provider instead of the pool's own (tests).
    ``clock``: the time every service sees (default: the system's). ``channels``: senders to
    use instead of those the settings call for (a stand-in, a scripted failure), each still
    paced to its channel's quota. ``meter``: where the use cases' figures go; the functions' own
    (written as metrics at the end of each invocation) unless given. Tests inject here and
    :func:`install` the container; nothing replaces a container's attributes afterwards.
    """

    def __init__(
        self,
        settings: Settings,
        session: boto3.Session | None = None,
        endpoint_url: str | None = None,
        *,
        clock: Clock | None = None,
        channels: Mapping[Channel, ChannelSender] | None = None,
        meter: Meter | None = None,
        identity_provider: IdentityProvider | None = None,
    ) -> None:
        from chalicelib.core.playbook.retention import Retention

        self.settings = settings
        self.meter: Meter = metrics if meter is None else meter
        self._session = session or boto3.Session()
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self.clock: Clock = clock or SystemClock()
        self._channels = dict(channels or {})
        self._last_retention = Retention()
        self._identity_provider = identity_provider

    def client(self, service: str) -> Any:
        """One client per service for the life of the container (building one is costly)."""
        return self._client(service, service, _CLIENT_CONFIG)

    def sending_client(self, service: str) -> Any:
        """The client a channel sends messages with: one attempt a call (the pacer retries)."""
        assert service in SENDING_SERVICES, service
        return self._client(f"sending:{service}", service, SENDING_CLIENT_CONFIG)

    def _client(self, name: str, service: str, config: Config) -> Any:
        if name not in self._clients:
            extra = {"endpoint_url": self._endpoint_url} if self._endpoint_url else {}
            self._clients[name] = self._session.client(  # type: ignore[call-overload]
                service, config=config, **extra
            )
        return self._clients[name]

    def aws_principal(self) -> str:
        """Whose AWS credentials these are (STS ``GetCallerIdentity``): what the timeline
        records of an answer made with them (the ``tocsin`` command without a personal key),
        and the access record of a contact read, saved or erased through the command."""
        try:
            return str(self.client("sts").get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError) as error:
            raise TransientError(f"STS GetCallerIdentity: {type(error).__name__}") from error

    @cached_property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @cached_property
    def lifetimes(self) -> Lifetimes:
        """How long records are kept: the playbook in force's settings, at this clock's time."""
        from chalicelib.storage.retention import Lifetimes

        return Lifetimes(retention=self._retention, now=self._now)

    @cached_property
    def incident_expiries(self) -> IncidentExpiries:
        """Shared by the stores that write an incident's records, so each is read once."""
        from chalicelib.storage.retention import IncidentExpiries

        return IncidentExpiries(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def events(self) -> DynamoEventStore:
        from chalicelib.storage.events import DynamoEventStore

        return DynamoEventStore(
            self.dynamodb, self.settings.incidents_table, self.lifetimes, self.rate_limiter
        )

    @cached_property
    def incidents(self) -> DynamoIncidentStore:
        from chalicelib.storage.incidents import DynamoIncidentStore

        return DynamoIncidentStore(
            self.dynamodb, self.settings.incidents_table, self.lifetimes, self.incident_expiries
        )

    @cached_property
    def lists(self) -> DynamoLists:
        from chalicelib.storage.lists import DynamoLists

        return DynamoLists(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def reports(self) -> ReportDesk:
        """A drill's report asks the register for its targets and its plan's previous drill."""
        from chalicelib.core.drills.review import DrillRecords
        from chalicelib.core.reports.report_desk import ReportDesk

        return ReportDesk(
            self.incidents, self.directory, DrillRecords(self.drill_register), self.clock
        )

    @cached_property
    def analytics(self) -> AnalyticsDesk:
        """The drill pass rate from the register, each drill judged by its report."""
        from chalicelib.core.reports.period import AnalyticsDesk

        return AnalyticsDesk(
            self.lists,
            self.incidents,
            self.directory,
            self.clock,
            retention=lambda: self._retention().incidents,
            drills=lambda since: self.drill_review.results_since(since),  # noqa: PLW0108 (built lazily)
        )

    @cached_property
    def ledger(self) -> DynamoSendLedger:
        from chalicelib.storage.ledger import DynamoSendLedger

        return DynamoSendLedger(
            self.dynamodb,
            self.settings.incidents_table,
            self.lifetimes,
            self.incident_expiries,
            registry=self.responders,  # the passes go in with the claims (one write)
        )

    @cached_property
    def directory(self) -> DynamoContactDirectory:
        from chalicelib.storage.contacts import DynamoContactDirectory

        return DynamoContactDirectory(self.dynamodb, self.settings.contacts_table)

    @cached_property
    def playbook_store(self) -> DynamoPlaybookStore:
        from chalicelib.storage.playbooks import DynamoPlaybookStore

        return DynamoPlaybookStore(self.dynamodb, self.settings.config_table)

    @cached_property
    def playbooks(self) -> CachedPlaybookSource:
        from chalicelib.storage.playbooks import CachedPlaybookSource

        return CachedPlaybookSource(self.playbook_store, self.settings.playbook_cache_seconds)

    @cached_property
    def api_keys(self) -> DynamoApiKeyStore:
        from chalicelib.storage.api_keys import DynamoApiKeyStore

        return DynamoApiKeyStore(self.dynamodb, self.settings.config_table)

    @cached_property
    def rate_limiter(self) -> DynamoRateLimiter:
        from chalicelib.storage.guards import DynamoRateLimiter

        return DynamoRateLimiter(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def replay_guard(self) -> DynamoReplayGuard:
        from chalicelib.storage.guards import DynamoReplayGuard

        return DynamoReplayGuard(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def senders(self) -> dict[Channel, ChannelSender]:
        """One sender per configured channel; a channel without one falls back along chains."""
        from chalicelib.channels.eum import EumSmsChannel, EumVoiceChannel
        from chalicelib.channels.push import PinpointPushChannel
        from chalicelib.channels.ses_email import SesEmailChannel
        from chalicelib.channels.sns_sms import SnsSmsChannel
        from chalicelib.channels.sns_topic import SnsTopicChannel
        from chalicelib.core.messaging.pacing import PacedSender, WindowPacer, window_quota

        settings = self.settings
        senders: dict[Channel, ChannelSender] = {
            Channel.SMS: SnsSmsChannel(self.sending_client("sns")),
            Channel.EMAIL: SesEmailChannel(
                self.sending_client("sesv2"), settings.sender_email, settings.ses_configuration_set
            ),
        }
        if settings.sms_provider == "eum":
            senders[Channel.SMS] = EumSmsChannel(
                self.sending_client("pinpoint-sms-voice-v2"),
                settings.sms_origination_identity,
                settings.sms_configuration_set,
            )
        if settings.voice_origination_identity:
            senders[Channel.VOICE] = EumVoiceChannel(
                self.sending_client("pinpoint-sms-voice-v2"),
                settings.voice_origination_identity,
                settings.sms_configuration_set,
            )
        if settings.push_application_id:
            senders[Channel.PUSH] = PinpointPushChannel(
                self.sending_client("pinpoint"), settings.push_application_id
            )
        if settings.stakeholders_topic_arn:
            senders[Channel.BROADCAST] = SnsTopicChannel(
                self.sending_client("sns"), settings.stakeholders_topic_arn
            )
        senders.update(self._channels)
        quotas = {
            Channel.SMS: settings.sms_parts_per_second,
            Channel.EMAIL: settings.emails_per_second,
            Channel.VOICE: settings.voice_calls_per_second,
            Channel.BROADCAST: settings.sms_parts_per_second,  # one publish per incident
            Channel.PUSH: settings.emails_per_second,  # SendMessages' own quota is far higher
        }
        return {
            channel: PacedSender(
                sender,
                WindowPacer(window_quota(quotas[channel], settings.dispatch_concurrency)),
                meter=self.meter,
            )
            for channel, sender in senders.items()
        }

    @cached_property
    def ingest(self) -> IngestService:
        from chalicelib.core.activation.intake import IngestService
        from chalicelib.storage.queues import SqsEventQueue

        queue = SqsEventQueue(self.client("sqs"), self.settings.ingest_queue)
        return IngestService(self.events, queue, self.clock, self.meter)

    @cached_property
    def duties(self) -> Duties:
        """Role checklists: ticked by their person, on the timeline."""
        from chalicelib.core.response.duties import Duties

        return Duties(self.incidents, self.playbooks, self.directory, self.clock)

    @cached_property
    def held_events(self) -> HeldEvents:
        """Events held outside their rule's hours, queued to be decided when it opens."""
        from chalicelib.core.activation.out_of_hours import HeldEvents
        from chalicelib.storage.queues import SqsEventQueue

        queue = SqsEventQueue(self.client("sqs"), self.settings.ingest_queue)
        return HeldEvents(self.events, queue, self.clock)

    @cached_property
    def dispatch_queue(self) -> SqsDispatchQueue:
        from chalicelib.storage.queues import SqsDispatchQueue

        return SqsDispatchQueue(self.client("sqs"), self.settings.dispatch_queue)

    @cached_property
    def idempotency(self) -> Idempotency:
        from chalicelib.core.activation.idempotency import Idempotency
        from chalicelib.storage.idempotency import DynamoIdempotencyStore

        return Idempotency(
            DynamoIdempotencyStore(self.dynamodb, self.settings.incidents_table), self.clock
        )

    @cached_property
    def failures(self) -> DynamoFailureLog:
        """Why each failed queue message last failed (queues keep no reason)."""
        from chalicelib.storage.dead_letters import DynamoFailureLog

        return DynamoFailureLog(self.dynamodb, self.settings.incidents_table)

    def record_failure(self, queue: str, message_id: str, reason: str, receives: int) -> None:
        """Keep why a queue message failed (its last error), for ``tocsin dlq show``."""
        from chalicelib.storage.dead_letters import Failure

        self.failures.record(Failure(queue, message_id, reason, receives, self.clock.now()))

    @cached_property
    def dead_letters(self) -> SqsDeadLetters:
        from chalicelib.storage.dead_letters import SqsDeadLetters

        queues = {"ingest": self.settings.ingest_queue, "dispatch": self.settings.dispatch_queue}
        return SqsDeadLetters(self.client("sqs"), queues, self.failures)

    @cached_property
    def notifier(self) -> Notifier:
        return self._notifier()

    def _notifier(self, first_batch: FirstBatch | None = None) -> Notifier:
        from chalicelib.core.activation.notifier import Notifier
        from chalicelib.core.checkins.plan_step import PlanCheckins

        return Notifier(
            self.incidents,
            self.playbooks,
            self.directory,
            self.dispatch_queue,
            self.clock,
            self.escalator,
            statements=self.statement_desk,
            checkins=PlanCheckins(self.checkins, self.incidents, self.clock),
            updates=self.update_desk,
            first_batch=first_batch,
        )

    @cached_property
    def first_batch(self) -> FirstBatch:
        """The evaluator sends an incident's first jobs itself (the rest go to the queue)."""
        from chalicelib.core.messaging.first_batch import FirstBatch

        def failed(error: Exception) -> None:
            logger.warning(
                "the first batch could not be sent here; the dispatcher takes it",
                extra={"error": f"{type(error).__name__}: {error}"},
            )

        return FirstBatch(
            self.dispatcher,
            self.dispatch_queue,
            self.settings.first_batch,
            failed=failed,
            sent=log_dispatched,
        )

    @cached_property
    def update_desk(self) -> UpdateDesk:
        """Updates to everyone an incident reached, on the plan's rhythm."""
        from chalicelib.core.updates import UpdateDesk

        return UpdateDesk(
            self.incidents,
            self.playbooks,
            self.directory,
            self.ledger,
            self.dispatch_queue,
            self.update_schedule,
            self.clock,
            self.statement_desk,
        )

    @cached_property
    def update_schedule(self) -> DynamoUpdateSchedule:
        """When each open incident's next update is due."""
        from chalicelib.storage.updates import DynamoUpdateSchedule

        return DynamoUpdateSchedule(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def statement_store(self) -> DynamoStatementStore:
        from chalicelib.storage.statements import DynamoStatementStore

        return DynamoStatementStore(
            self.dynamodb, self.settings.incidents_table, self.incident_expiries
        )

    @cached_property
    def statement_desk(self) -> StatementDesk:
        """Statements to audiences: drafted, approved by distinct people, then published."""
        from chalicelib.core.statements.desk import StatementDesk

        return StatementDesk(
            self.statement_store,
            self.incidents,
            self.playbooks,
            self.directory,
            self.senders,
            self.clock,
            site=self.site,
            social=self.social,
        )

    @cached_property
    def site(self) -> SitePoster | None:
        """Who puts statements on the dark site: the publish_site function where one is
        deployed (only its role may write the bucket), else this process (the local stack,
        and publish_site itself); None where the deployment has no site."""
        from chalicelib.channels.lambda_site import LambdaSitePoster

        if self.settings.site_function:
            client = self._client("site:lambda", "lambda", SITE_INVOKE_CONFIG)
            return LambdaSitePoster(client, self.settings.site_function)
        if not self.settings.site_bucket:
            return None
        return self.site_outlet

    @cached_property
    def site_outlet(self) -> SiteOutlet:
        """The dark site written from here: its bucket, and CloudFront's cache if deployed."""
        from chalicelib.channels.cloudfront_cache import CloudFrontSiteCache
        from chalicelib.channels.s3_site import S3SitePublisher
        from chalicelib.core.site.edition import SiteEditor
        from chalicelib.core.statements.site_outlet import SiteOutlet

        if not self.settings.site_bucket:
            raise SettingsError(f"{SITE_BUCKET} is not set: no dark site here")
        distribution = self.settings.site_distribution
        editor = SiteEditor(
            S3SitePublisher(self.client("s3"), self.settings.site_bucket),
            CloudFrontSiteCache(self.client("cloudfront"), distribution) if distribution else None,
        )
        return SiteOutlet(editor, self.statement_store, self.incidents, self.playbooks, self.clock)

    @cached_property
    def channel_checks(self) -> ChannelChecks:
        """Whether each Slack, Teams and Mastodon outlet of the playbook still works."""
        from chalicelib.core.statements.channel_checks import ChannelChecks

        return ChannelChecks(self.playbooks, self.social)

    @cached_property
    def social(self) -> SocialChannels:
        """Slack, Teams and Mastodon: their webhooks and tokens read from Secrets Manager."""
        from chalicelib.channels.social import SocialChannels

        return SocialChannels(self.client("secretsmanager"))

    @cached_property
    def overrides(self) -> DynamoOverrideStore:
        from chalicelib.storage.overrides import DynamoOverrideStore

        return DynamoOverrideStore(self.dynamodb, self.settings.config_table)

    @cached_property
    def responders(self) -> DynamoResponderRegistry:
        from chalicelib.storage.responders import DynamoResponderRegistry

        return DynamoResponderRegistry(
            self.dynamodb, self.settings.incidents_table, self.lifetimes, self.incident_expiries
        )

    @cached_property
    def link_secret(self) -> bytes:
        """The key that signs acknowledgement links: Secrets Manager when deployed."""
        settings = self.settings
        if settings.link_secret_arn:
            response = self.client("secretsmanager").get_secret_value(
                SecretId=settings.link_secret_arn
            )
            return str(response["SecretString"]).encode()
        if settings.link_secret:
            return settings.link_secret.encode()
        raise RuntimeError(f"{LINK_SECRET_ARN} is not set: acknowledgement links can't be signed")

    @cached_property
    def identity_pool(self) -> IdentityPool | None:
        """The console's identity provider (a Cognito user pool); None where none is set."""
        from chalicelib.core.console.idp_tokens import IdentityPool

        settings = self.settings
        if not (settings.console_idp_issuer and settings.console_idp_client_id):
            return None
        return IdentityPool(settings.console_idp_issuer, settings.console_idp_client_id)

    @cached_property
    def identity_provider(self) -> IdentityProvider | None:
        """The user pool's sign-in and keys (a stand-in when the test gives one)."""
        from chalicelib.storage.identity_provider import CognitoIdentityProvider

        if self._identity_provider is not None:
            return self._identity_provider
        pool, domain = self.identity_pool, self.settings.console_idp_domain
        return CognitoIdentityProvider(pool, domain) if pool and domain else None

    @cached_property
    def public_url(self) -> str:
        """Where links point: set outright, or the SSM parameter the deployment fills in
        (the API's address is known only once the API exists)."""
        settings = self.settings
        if settings.public_url:
            return settings.public_url
        if settings.public_url_parameter:
            response = self.client("ssm").get_parameter(Name=settings.public_url_parameter)
            return str(response["Parameter"]["Value"])
        raise RuntimeError(f"set {PUBLIC_URL} or {PUBLIC_URL_PARAMETER}: links need an address")

    @cached_property
    def links(self) -> AckLinks:
        from chalicelib.core.messaging.passes import AckLinks

        return AckLinks(self.link_secret, self.public_url, self.responders)

    @cached_property
    def escalator(self) -> Escalator:
        from chalicelib.core.response.escalator import Escalator

        return Escalator(
            self.incidents,
            self.playbooks,
            self.directory,
            self.overrides,
            self.dispatch_queue,
            self.clock,
            self.meter,
        )

    @cached_property
    def oncall(self) -> OnCall:
        from chalicelib.core.oncall.coverage import OnCall

        return OnCall(self.playbooks, self.overrides, self.directory, self.clock)

    @cached_property
    def calendars(self) -> PersonalCalendars:
        from chalicelib.core.oncall.calendar import PersonalCalendars
        from chalicelib.storage.calendars import DynamoCalendarTokens

        return PersonalCalendars(
            DynamoCalendarTokens(self.dynamodb, self.settings.config_table),
            self.playbooks,
            self.overrides,
            self.directory,
            self.clock,
        )

    @cached_property
    def inbound(self) -> InboundReplies:
        from chalicelib.core.checkins.sms_answers import CheckinSmsAnswers
        from chalicelib.core.response.replies import InboundReplies
        from chalicelib.storage.guards import DynamoReplyBudget

        return InboundReplies(
            self.directory,
            self.responders,
            self.incidents,
            self.ledger,
            self.responses,
            self.senders.get(Channel.SMS),
            DynamoReplyBudget(self.dynamodb, self.settings.incidents_table),
            self.clock,
            CheckinSmsAnswers(self.checkins, self.checkin_store, self.responders, self.clock),
        )

    @cached_property
    def responses(self) -> Responses:
        from chalicelib.core.response.answers import Responses

        return Responses(
            self.incidents,
            self.playbooks,
            self.responders,
            self.ledger,
            self.dispatch_queue,
            self.escalator,
            self.clock,
            self.hold_desk,
            self.meter,
            self.gatekeeper,
            closing=self.statement_desk,
        )

    @cached_property
    def spend_counters(self) -> DynamoSpendCounters:
        from chalicelib.storage.spending import DynamoSpendCounters

        return DynamoSpendCounters(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def holds(self) -> DynamoHoldStore:
        from chalicelib.storage.holds import DynamoHoldStore

        return DynamoHoldStore(self.dynamodb, self.settings.incidents_table, self.incident_expiries)

    @cached_property
    def spend_gate(self) -> SpendGate:
        from chalicelib.core.spend.gate import SpendGate

        return SpendGate(
            self.playbooks,
            self.spend_counters,
            self.holds,
            self.directory,
            self.dispatch_queue,
            self.incidents,
            self.clock,
        )

    @cached_property
    def hold_desk(self) -> HoldDesk:
        from chalicelib.core.spend.holds import HoldDesk

        return HoldDesk(
            self.holds,
            self.incidents,
            self.playbooks,
            self.directory,
            self.dispatch_queue,
            self.clock,
        )

    @cached_property
    def tracker(self) -> DeliveryTracker:
        from chalicelib.core.messaging.receipts import DeliveryTracker

        return DeliveryTracker(self.ledger, self.directory, self.clock)

    @cached_property
    def access_log(self) -> DynamoAccessLog:
        from chalicelib.storage.audit import DynamoAccessLog

        return DynamoAccessLog(self.dynamodb, self.settings.contacts_table, self._now)

    @cached_property
    def contact_access(self) -> ContactAccess:
        """Reading and saving people, each access on record (the API, the command, imports)."""
        from chalicelib.core.privacy.contact_access import ContactAccess

        return ContactAccess(self.directory, self.access_log, self.playbooks, self.clock)

    @cached_property
    def erasure_jobs(self) -> DynamoErasureJobs:
        from chalicelib.storage.erasure_jobs import DynamoErasureJobs

        return DynamoErasureJobs(
            self.dynamodb, self.settings.contacts_table, self.directory, self._now
        )

    @cached_property
    def erasure(self) -> Erasure:
        from chalicelib.core.privacy.erasure import Erasure
        from chalicelib.storage.erasure import DynamoPersonalRecords
        from chalicelib.storage.queues import SqsErasureQueue

        records = DynamoPersonalRecords(
            self.dynamodb,
            self.settings.incidents_table,
            self.settings.contacts_table,
            config_table=self.settings.config_table,
            contacts_table=self.settings.contacts_table,
        )
        queue = SqsErasureQueue(self.client("sqs"), self.settings.erasure_queue)
        return Erasure(
            self.directory, self.erasure_jobs, records, queue, self.playbooks, self.clock
        )

    def _retention(self) -> Retention:
        """The playbook's retention; if the playbook cannot be read just now, the last one
        read (or the defaults): a message must never fail, or go twice, over how long its
        record is kept."""
        try:
            self._last_retention = self.playbooks.load().retention
        except (TocsinError, BotoCoreError, ClientError) as error:
            logger.warning(
                "playbook unreadable; records kept as before", extra={"error": str(error)}
            )
        return self._last_retention

    def _now(self) -> datetime:
        """The container's clock at the moment of the call (tests may replace the clock)."""
        return self.clock.now()

    @cached_property
    def drill_register(self) -> DynamoDrillRegister:
        from chalicelib.storage.drills import DynamoDrillRegister

        return DynamoDrillRegister(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def drill_review(self) -> DrillReview:
        """The register judged: each drill's targets against its incident's report."""
        from chalicelib.core.drills.review import DrillReview

        return DrillReview(self.drills, self.reports, self.clock)

    @cached_property
    def drills(self) -> DrillDesk:
        """Drills and their register (surprises fired by the escalation tick)."""
        from chalicelib.core.drills.runner import DrillDesk
        from chalicelib.storage.schedule_slots import DynamoScheduleSlots

        return DrillDesk(
            self.drill_register,
            self.incidents,
            self.playbooks,
            self.directory,
            self.notifier,
            self.escalator,
            self.clock,
            slots=DynamoScheduleSlots(self.dynamodb, self.settings.incidents_table),
        )

    @cached_property
    def manual(self) -> ManualActivation:
        from chalicelib.core.activation.manual import ManualActivation

        return ManualActivation(
            self.incidents, self.playbooks, self.directory, self.notifier, self.clock
        )

    @cached_property
    def gatekeeper(self) -> Gatekeeper:
        """The verification gate: approvals, rejections and timeouts of held activations."""
        from chalicelib.core.activation.verification import Gatekeeper

        return Gatekeeper(
            self.incidents, self.playbooks, self.directory, self.notifier, self.clock, self.meter
        )

    @cached_property
    def evaluator(self) -> Evaluator:
        from chalicelib.core.activation.evaluator import Evaluator

        return Evaluator(
            self.events,
            self.incidents,
            self.playbooks,
            self._notifier(self.first_batch),
            self.clock,
            self.responses,
            self.meter,
            reached=self.ledger,
        )

    @cached_property
    def scheduled_triggers(self) -> ScheduledTriggers:
        from chalicelib.core.activation.scheduled import ScheduledTriggers
        from chalicelib.storage.schedule_slots import DynamoScheduleSlots

        slots = DynamoScheduleSlots(self.dynamodb, self.settings.incidents_table)
        return ScheduledTriggers(self.playbooks, slots, self.ingest, self.clock)

    @cached_property
    def change_log(self) -> ChangeLog:
        """PagerDuty change events (``/v2/change/enqueue``) and their senders' incidents."""
        from chalicelib.core.dropin.changes import ChangeLog
        from chalicelib.storage.changes import DynamoChangeStore

        return ChangeLog(
            DynamoChangeStore(self.dynamodb, self.settings.incidents_table), self.incidents
        )

    @cached_property
    def alert_desk(self) -> AlertDesk:
        """Opsgenie's Alert API over Tocsin's events (``/v2/alerts``)."""
        from chalicelib.core.dropin.alerts import AlertDesk
        from chalicelib.storage.opsgenie_alerts import DynamoAlertStore, DynamoRequestLog

        table = self.settings.incidents_table
        return AlertDesk(
            DynamoAlertStore(self.dynamodb, table),
            DynamoRequestLog(self.dynamodb, table),
            self.events,
            self.incidents,
            self.change_log,
            self.clock,
        )

    @cached_property
    def heartbeat_store(self) -> DynamoHeartbeatStore:
        from chalicelib.storage.heartbeats import DynamoHeartbeatStore

        return DynamoHeartbeatStore(self.dynamodb, self.settings.incidents_table)

    @cached_property
    def heartbeats(self) -> Heartbeats:
        from chalicelib.core.watch.heartbeats import Heartbeats

        return Heartbeats(
            self.playbooks, self.heartbeat_store, self.ingest, self.events, self.clock
        )

    @cached_property
    def canaries(self) -> Canaries:
        from chalicelib.channels.operations import SnsOperationsTopic
        from chalicelib.core.watch.canaries import Canaries
        from chalicelib.storage.canaries import DynamoCanaryRounds

        settings = self.settings
        operations = (
            SnsOperationsTopic(self.client("sns"), settings.operations_topic_arn)
            if settings.operations_topic_arn
            else None
        )
        return Canaries(
            self.playbooks,
            DynamoCanaryRounds(self.dynamodb, settings.incidents_table),
            self.incidents,
            self.directory,
            self.dispatch_queue,
            self.ingest,
            operations,
            frozenset(self.senders),
            self.clock,
        )

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.core.messaging.dispatch import Dispatcher

        return Dispatcher(
            self.incidents,
            self.playbooks,
            self.directory,
            self.ledger,
            self.senders,
            self.clock,
            timedelta(seconds=self.settings.send_claim_timeout_seconds),
            self.links,
            requeue=self.dispatch_queue,
            spending=self.spend_gate,
            meter=self.meter,
            notices=self.notice_writers,
        )

    @cached_property
    def notice_writers(self) -> NoticeWriters:
        """Words for the notices the playbook's templates do not write."""
        from chalicelib.core.checkins.messages import CheckinNotices
        from chalicelib.core.messaging.writers import NoticeWriters
        from chalicelib.core.updates import UpdateNotices

        checkins = CheckinNotices(self.checkin_store, self.directory)
        updates = UpdateNotices(self.incidents, self.playbooks)
        return NoticeWriters(
            {
                Notice.CHECKIN: checkins,
                Notice.CHECKIN_LEAD: checkins,
                Notice.UPDATE: updates,
                Notice.UPDATE_DUE: updates,
            }
        )

    @cached_property
    def checkin_store(self) -> DynamoCheckinStore:
        from chalicelib.storage.checkins import DynamoCheckinStore

        return DynamoCheckinStore(
            self.dynamodb, self.settings.incidents_table, self.lifetimes, self.incident_expiries
        )

    @cached_property
    def checkins(self) -> CheckinDesk:
        """Check-ins: start, answer (``"I need help"`` pages the responders)."""
        from chalicelib.core.checkins.help import HelpDesk
        from chalicelib.core.checkins.roll_call import CheckinDesk

        help_desk = HelpDesk(
            self.incidents, self.playbooks, self.directory, self.escalator, self.clock
        )
        return CheckinDesk(
            self.checkin_store,
            self.incidents,
            self.playbooks,
            self.directory,
            self.dispatch_queue,
            help_desk,
            self.clock,
        )

    @cached_property
    def checkin_reminders(self) -> CheckinReminders:
        from chalicelib.core.checkins.reminders import CheckinReminders

        return CheckinReminders(
            self.checkin_store,
            self.incidents,
            self.directory,
            self.dispatch_queue,
            self.clock,
            self.meter,
        )


_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the one cached composition root per Lambda instance
    if _container is None:
        _container = Container(get_settings())
    return _container


def install(chosen: Container) -> Container:
    """Make ``chosen`` the container the handlers use, until :func:`reset` (tests, and tools
    that run the handlers in-process, build it with what they inject)."""
    global _container  # noqa: PLW0603
    _container = chosen
    return chosen


def reset() -> None:
    """Forget every cached client and setting (tests, and the local stack between runs)."""
    global _container  # noqa: PLW0603
    _container = None
    get_settings.cache_clear()
