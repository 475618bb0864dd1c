"""Every port of the core in memory, sharing state as the adapters share their tables, and the
use cases wired from them as ``chalicelib/wiring.py`` wires them from AWS.

    world = MemoryWorld.example(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    world.ingest.accept({...}, Sender("key"))  # POST /v1/events
    world.run_queues()                # what the queue handlers do: decide, then dispatch
    world.sms.to("+12025550105")      # what reached Fay

No AWS, no moto, no sockets: a use case runs in microseconds, so unit tests, benchmarks and the
fault harness can run thousands. The contract suites in ``tests/functional`` prove each fake
behaves as its DynamoDB or SQS adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache, cached_property
from pathlib import Path

from chalicelib.core.activation.evaluator import Decision, Evaluator
from chalicelib.core.activation.idempotency import Idempotency
from chalicelib.core.activation.intake import IngestService
from chalicelib.core.activation.manual import ManualActivation
from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.activation.out_of_hours import HeldEvents
from chalicelib.core.activation.scheduled import ScheduledTriggers
from chalicelib.core.activation.verification import Gatekeeper
from chalicelib.core.checkins.help import HelpDesk
from chalicelib.core.checkins.messages import CheckinNotices
from chalicelib.core.checkins.plan_step import PlanCheckins
from chalicelib.core.checkins.reminders import CheckinReminders
from chalicelib.core.checkins.roll_call import CheckinDesk
from chalicelib.core.checkins.sms_answers import CheckinSmsAnswers
from chalicelib.core.drills.review import DrillRecords, DrillReview
from chalicelib.core.drills.runner import DrillDesk
from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.messaging.dispatch_report import DispatchReport
from chalicelib.core.messaging.first_batch import FirstBatch
from chalicelib.core.messaging.passes import AckLinks
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.messaging.receipts import DeliveryTracker
from chalicelib.core.messaging.writers import NoticeWriters
from chalicelib.core.model import Channel, Contact, Notice
from chalicelib.core.oncall.coverage import OnCall
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.privacy.contact_access import ContactAccess
from chalicelib.core.privacy.erasure import Erasure
from chalicelib.core.reports.report_desk import ReportDesk
from chalicelib.core.response.answers import Responses
from chalicelib.core.response.duties import Duties
from chalicelib.core.response.escalator import Escalator
from chalicelib.core.response.replies import InboundReplies
from chalicelib.core.site.edition import SiteEditor
from chalicelib.core.spend.gate import SpendGate
from chalicelib.core.spend.holds import HoldDesk
from chalicelib.core.statements.desk import StatementDesk
from chalicelib.core.statements.site_outlet import SiteOutlet
from chalicelib.core.updates import UpdateDesk, UpdateNotices
from chalicelib.core.watch.canaries import Canaries
from chalicelib.core.watch.heartbeats import Heartbeats
from fakes.access_log import MemoryAccessLog
from fakes.channels import RecordingChannel, Sent
from fakes.checkins import MemoryCheckinStore
from fakes.clock import FixedClock
from fakes.directory import MemoryDirectory
from fakes.drills import MemoryDrillRegister
from fakes.events import MemoryEventStore, MemoryScheduleSlots
from fakes.idempotency import MemoryIdempotencyStore
from fakes.incidents import MemoryIncidentStore
from fakes.ledger import MemorySendLedger
from fakes.lists import MemoryLists
from fakes.oncall import MemoryOverrideStore
from fakes.playbooks import MemoryPlaybookSource
from fakes.privacy import MemoryErasureJobs, MemoryErasureQueue, MemoryPersonalRecords
from fakes.queues import MemoryDispatchQueue, MemoryEventQueue
from fakes.replies import MemoryReplyBudget
from fakes.responders import MemoryResponderRegistry
from fakes.site import MemorySitePublisher, RecordingSiteCache
from fakes.social import RecordingSocialPoster
from fakes.spend import MemoryHoldStore, MemorySpendCounters
from fakes.statements import MemoryStatementStore
from fakes.telemetry import RecordingMeter
from fakes.updates import MemoryUpdateSchedule
from fakes.watch import MemoryCanaryRounds, MemoryHeartbeatStore, RecordingOperationsTopic

PROJECT = Path(__file__).resolve().parent.parent
PUBLIC_URL = "http://127.0.0.1:8000"  # the local stage's, so links read as they do there
LINK_SECRET = b"local-dev-link-secret"
CLAIM_TIMEOUT = timedelta(seconds=120)
MAX_ROUNDS = 50  # queue rounds before run_queues() gives up (a job retried for ever)


class MemoryWorld:
    def __init__(
        self,
        now: datetime,
        playbook: Playbook | None = None,
        contacts: Iterable[Contact] = (),
        senders: Mapping[Channel, ChannelSender] | None = None,
        incidents: Callable[[MemoryEventStore], MemoryIncidentStore] = MemoryIncidentStore,
        ledger: Callable[[MemoryIncidentStore], MemorySendLedger] = MemorySendLedger,
    ) -> None:
        """``senders``: instead of the recording SMS, email and broadcast channels.
        ``incidents``, ``ledger``: build the incident store and the send ledger (a subclass
        that injects a fault or a race)."""
        self.clock = FixedClock(now)
        self.playbooks = MemoryPlaybookSource(playbook)
        self.access_log = MemoryAccessLog(self.clock.now)
        self.directory = MemoryDirectory(contacts, self.access_log)
        self.events = MemoryEventStore()
        self.incidents = incidents(self.events)
        self.ledger = ledger(self.incidents)
        self.overrides = MemoryOverrideStore()
        self.responders = MemoryResponderRegistry()
        self.reply_budget = MemoryReplyBudget()
        self.event_queue = MemoryEventQueue()
        self.dispatch_queue = MemoryDispatchQueue(self.clock)
        self.slots = MemoryScheduleSlots()
        self.requests = MemoryIdempotencyStore()
        self.heartbeat_store = MemoryHeartbeatStore()
        self.canary_rounds = MemoryCanaryRounds()
        self.operations = RecordingOperationsTopic()
        self.spend_counters = MemorySpendCounters()
        self.holds = MemoryHoldStore(self.incidents, self.ledger)
        self.lists = MemoryLists(self.incidents, self.events)
        self.meter = RecordingMeter()  # every figure the use cases record
        self.checkin_store = MemoryCheckinStore()
        self.statements = MemoryStatementStore(self.incidents)
        self.erasure_jobs = MemoryErasureJobs(self.directory, self.clock)
        self.personal_records = MemoryPersonalRecords(self.erasure_jobs)
        self.erasure_queue = MemoryErasureQueue()
        self.update_schedule = MemoryUpdateSchedule()
        self.site = MemorySitePublisher()  # the dark site: what it shows, every release
        self.site_cache = RecordingSiteCache()  # CloudFront: what it was told to forget
        self.drill_register = MemoryDrillRegister()
        self.drill_draws: list[int] = []  # a surprise drill's draws (empty: the first minute)
        # The local stage's channels: SMS, email and the stakeholder topic.
        self.sms = RecordingChannel(Channel.SMS)
        self.email = RecordingChannel(Channel.EMAIL)
        self.broadcast = RecordingChannel(Channel.BROADCAST)
        self.social = RecordingSocialPoster()  # Slack, Teams and Mastodon
        recording: dict[Channel, ChannelSender] = {
            Channel.SMS: self.sms,
            Channel.EMAIL: self.email,
            Channel.BROADCAST: self.broadcast,
        }
        self.senders: Mapping[Channel, ChannelSender] = recording if senders is None else senders

    @classmethod
    def example(
        cls,
        now: datetime,
        senders: Mapping[Channel, ChannelSender] | None = None,
        incidents: Callable[[MemoryEventStore], MemoryIncidentStore] = MemoryIncidentStore,
        ledger: Callable[[MemoryIncidentStore], MemorySendLedger] = MemorySendLedger,
    ) -> MemoryWorld:
        """The example playbook (``policies/``) and contacts (``examples/contacts.csv``): what
        ``make run`` seeds, so a test reads like the local stack's story."""
        playbook, contacts = _example()
        return cls(now, playbook, contacts, senders, incidents, ledger)

    def sent(self) -> list[Sent]:
        """Everything the world's own channels accepted, channel by channel."""
        return [*self.sms.sent, *self.email.sent, *self.broadcast.sent]

    # -- the use cases, wired as chalicelib/wiring.py wires them ---------------------------
    @cached_property
    def ingest(self) -> IngestService:
        return IngestService(self.events, self.event_queue, self.clock, self.meter)

    @cached_property
    def idempotency(self) -> Idempotency:
        return Idempotency(self.requests, self.clock)

    @cached_property
    def escalator(self) -> Escalator:
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
    def notifier(self) -> Notifier:
        return self.notifier_sending(None)

    def notifier_sending(self, first_batch: FirstBatch | None) -> Notifier:
        """The notifier; with ``first_batch``, as the evaluator's (chalicelib/wiring.py)."""
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
    def update_desk(self) -> UpdateDesk:
        """Updates to everyone an incident reached, on the plan's rhythm."""
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
    def site_outlet(self) -> SiteOutlet:
        """The dark site, written here (deployed: by publish_site), CloudFront recorded."""
        return SiteOutlet(
            SiteEditor(self.site, self.site_cache),
            self.statements,
            self.incidents,
            self.playbooks,
            self.clock,
        )

    @cached_property
    def statement_desk(self) -> StatementDesk:
        return StatementDesk(
            self.statements,
            self.incidents,
            self.playbooks,
            self.directory,
            self.senders,
            self.clock,
            site=self.site_outlet,
            social=self.social,
        )

    @cached_property
    def responses(self) -> Responses:
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
    def spend_gate(self) -> SpendGate:
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
        return HoldDesk(
            self.holds,
            self.incidents,
            self.playbooks,
            self.directory,
            self.dispatch_queue,
            self.clock,
        )

    @cached_property
    def duties(self) -> Duties:
        """Role checklists: ticked by their person, on the timeline."""
        return Duties(self.incidents, self.playbooks, self.directory, self.clock)

    @cached_property
    def held_events(self) -> HeldEvents:
        return HeldEvents(self.events, self.event_queue, self.clock)

    @cached_property
    def evaluator(self) -> Evaluator:
        return Evaluator(
            self.events,
            self.incidents,
            self.playbooks,
            self.notifier,
            self.clock,
            self.responses,
            self.meter,
            reached=self.ledger,
        )

    @cached_property
    def reports(self) -> ReportDesk:
        return ReportDesk(
            self.incidents, self.directory, DrillRecords(self.drill_register), self.clock
        )

    @cached_property
    def drill_review(self) -> DrillReview:
        return DrillReview(self.drills, self.reports, self.clock)

    @cached_property
    def drills(self) -> DrillDesk:
        return DrillDesk(
            self.drill_register,
            self.incidents,
            self.playbooks,
            self.directory,
            self.notifier,
            self.escalator,
            self.clock,
            lambda count: self.drill_draws.pop(0) % count if self.drill_draws else 0,
            slots=self.slots,
        )

    @cached_property
    def manual(self) -> ManualActivation:
        return ManualActivation(
            self.incidents, self.playbooks, self.directory, self.notifier, self.clock
        )

    @cached_property
    def gatekeeper(self) -> Gatekeeper:
        return Gatekeeper(
            self.incidents, self.playbooks, self.directory, self.notifier, self.clock, self.meter
        )

    @cached_property
    def links(self) -> AckLinks:
        return AckLinks(LINK_SECRET, PUBLIC_URL, self.responders)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        return Dispatcher(
            self.incidents,
            self.playbooks,
            self.directory,
            self.ledger,
            self.senders,
            self.clock,
            CLAIM_TIMEOUT,
            self.links,
            requeue=self.dispatch_queue,
            spending=self.spend_gate,
            meter=self.meter,
            notices=self.notice_writers,
        )

    @cached_property
    def notice_writers(self) -> NoticeWriters:
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
    def checkins(self) -> CheckinDesk:
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
        return CheckinReminders(
            self.checkin_store,
            self.incidents,
            self.directory,
            self.dispatch_queue,
            self.clock,
            self.meter,
        )

    @cached_property
    def tracker(self) -> DeliveryTracker:
        return DeliveryTracker(self.ledger, self.directory, self.clock)

    @cached_property
    def inbound(self) -> InboundReplies:
        return InboundReplies(
            self.directory,
            self.responders,
            self.incidents,
            self.ledger,
            self.responses,
            self.senders.get(Channel.SMS),
            self.reply_budget,
            self.clock,
            CheckinSmsAnswers(self.checkins, self.checkin_store, self.responders, self.clock),
        )

    @cached_property
    def contact_access(self) -> ContactAccess:
        return ContactAccess(self.directory, self.access_log, self.playbooks, self.clock)

    @cached_property
    def erasure(self) -> Erasure:
        return Erasure(
            self.directory,
            self.erasure_jobs,
            self.personal_records,
            self.erasure_queue,
            self.playbooks,
            self.clock,
        )

    @cached_property
    def scheduled_triggers(self) -> ScheduledTriggers:
        return ScheduledTriggers(self.playbooks, self.slots, self.ingest, self.clock)

    @cached_property
    def oncall(self) -> OnCall:
        return OnCall(self.playbooks, self.overrides, self.directory, self.clock)

    @cached_property
    def heartbeats(self) -> Heartbeats:
        return Heartbeats(
            self.playbooks, self.heartbeat_store, self.ingest, self.events, self.clock
        )

    @cached_property
    def canaries(self) -> Canaries:
        return Canaries(
            self.playbooks,
            self.canary_rounds,
            self.incidents,
            self.directory,
            self.dispatch_queue,
            self.ingest,
            self.operations,
            frozenset(self.senders),
            self.clock,
        )

    # -- what the queue handlers do ------------------------------------------------------
    def decide_queued(self) -> list[Decision]:
        """Decide every event on the ingest queue (the ``evaluate_events`` handler): each
        message handed out once, as SQS hands out a message the first time."""
        return [self.evaluator.handle(r, first_delivery=True) for r in self.event_queue.take()]

    def dispatch_queued(self) -> DispatchReport:
        """Send every job on the dispatch queue once (the ``dispatch_notifications`` handler);
        jobs to retry go back on the queue, as a batch Lambda reports as failed would."""
        total = DispatchReport()
        for incident_id, jobs in self.dispatch_queue.take_messages():
            report = self.dispatcher.dispatch(incident_id, jobs)
            total.sent += report.sent
            total.failed += report.failed
            total.skipped += report.skipped
            total.held += report.held
            total.unknown_outcomes += report.unknown_outcomes
            total.requeued += report.requeued
            total.retry += report.retry
            if report.retry:
                self.dispatch_queue.put_jobs(report.retry)
        return total

    def run_queues(self) -> list[Decision]:
        """Both queues until they are empty, as the local runner drains them. When only
        delayed messages are left, the clock moves on to the first of them, as time would."""
        decisions: list[Decision] = []
        for _ in range(MAX_ROUNDS):
            if not self.event_queue.bodies and not self.dispatch_queue.bodies:
                due = self.dispatch_queue.next_due()
                if due is None:
                    return decisions
                self.clock.current = max(self.clock.current, due)
            decisions += self.decide_queued()
            self.dispatch_queued()
        raise RuntimeError(f"the queues were not empty after {MAX_ROUNDS} rounds")


@cache
def _example() -> tuple[Playbook, tuple[Contact, ...]]:
    """Read once per process: parsing the YAML takes far longer than any use case."""
    from tocsin_cli.contacts import read_contacts_csv
    from tocsin_cli.policies import read_policy_dir

    playbook = read_policy_dir(PROJECT / "policies").validate()
    contacts, _ = read_contacts_csv(
        PROJECT / "examples" / "contacts.csv",
        known_roles=playbook.roles,
        known_teams=playbook.teams,
    )
    return playbook, tuple(contacts)
