"""Each fake is what its port asks for: mypy --strict checks these assignments (no
``# type: ignore`` anywhere a fake stands in for a port). Nothing here runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.core.activation.ports import (
        EventQueue,
        EventStore,
        IdempotencyStore,
        ScheduleSlots,
    )
    from chalicelib.core.checkins.ports import CheckinStore
    from chalicelib.core.console.idp_tokens import IdentityPool, IdentityProvider
    from chalicelib.core.drills.ports import DrillRegister
    from chalicelib.core.dropin.ports import (
        AlertStore,
        ChangeStore,
        IncidentTimelines,
        RequestLog,
    )
    from chalicelib.core.listing import Lists
    from chalicelib.core.messaging.passes import ResponderRegistry
    from chalicelib.core.messaging.ports import (
        BatchSender,
        ChannelSender,
        DispatchQueue,
        SendLedger,
    )
    from chalicelib.core.messaging.receipts import DeliveryLedger, UsableAddresses
    from chalicelib.core.model import Channel
    from chalicelib.core.oncall.coverage import OverrideStore
    from chalicelib.core.playbook.source import PlaybookSource
    from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
    from chalicelib.core.privacy.ports import (
        AccessLog,
        ErasureJobs,
        ErasureQueue,
        PeopleStore,
        PersonalRecords,
    )
    from chalicelib.core.response.ports import PhoneOwners, ReachedLedger, ReplyBudget
    from chalicelib.core.site.ports import SiteCache, SitePublisher
    from chalicelib.core.spend.ports import HoldStore, PageQueue, SpendCounters
    from chalicelib.core.statements.ports import SocialPoster, StatementStore
    from chalicelib.core.telemetry import Meter
    from chalicelib.core.updates.ports import UpdateSchedule
    from chalicelib.core.watch.ports import (
        CanaryIncidents,
        CanaryRounds,
        HeartbeatStore,
        OperationsTopic,
    )
    from fakes import (
        FixedClock,
        MemoryAccessLog,
        MemoryAlertStore,
        MemoryCanaryRounds,
        MemoryChangeStore,
        MemoryCheckinStore,
        MemoryDirectory,
        MemoryDispatchQueue,
        MemoryDrillRegister,
        MemoryErasureJobs,
        MemoryErasureQueue,
        MemoryEventQueue,
        MemoryEventStore,
        MemoryHeartbeatStore,
        MemoryHoldStore,
        MemoryIdempotencyStore,
        MemoryIncidentStore,
        MemoryLists,
        MemoryOverrideStore,
        MemoryPersonalRecords,
        MemoryPlaybookSource,
        MemoryReplyBudget,
        MemoryRequestLog,
        MemoryResponderRegistry,
        MemoryScheduleSlots,
        MemorySendLedger,
        MemorySitePublisher,
        MemorySpendCounters,
        MemoryStatementStore,
        MemoryTimelines,
        MemoryUpdateSchedule,
        RecordingBatchChannel,
        RecordingChannel,
        RecordingMeter,
        RecordingOperationsTopic,
        RecordingSiteCache,
        RecordingSocialPoster,
        ScriptedChannel,
    )
    from fakes.identity import LocalIdentityProvider


def _every_fake_is_its_port() -> None:  # pragma: no cover - read by mypy only
    incidents: IncidentStore = MemoryIncidentStore()
    events: EventStore = MemoryEventStore()
    event_queue: EventQueue = MemoryEventQueue()
    slots: ScheduleSlots = MemoryScheduleSlots()
    idempotency: IdempotencyStore = MemoryIdempotencyStore()
    dispatch: DispatchQueue = MemoryDispatchQueue()
    ledger = MemorySendLedger(MemoryIncidentStore())
    sends: SendLedger = ledger
    reached: ReachedLedger = ledger
    deliveries: DeliveryLedger = ledger
    directory = MemoryDirectory()
    contacts: ContactDirectory = directory
    owners: PhoneOwners = directory
    addresses: UsableAddresses = directory
    registry: ResponderRegistry = MemoryResponderRegistry()
    replies: ReplyBudget = MemoryReplyBudget()
    overrides: OverrideStore = MemoryOverrideStore()
    playbooks: PlaybookSource = MemoryPlaybookSource()
    clock: Clock = FixedClock(datetime.now(UTC))
    sms: ChannelSender = RecordingChannel(Channel.SMS)
    push: BatchSender = RecordingBatchChannel(Channel.PUSH)
    scripted: ChannelSender = ScriptedChannel(sms, {})
    del incidents, events, event_queue, slots, idempotency, dispatch, sends, reached, deliveries
    del contacts, owners, addresses, registry, replies, overrides, playbooks, clock, push
    del scripted
    heartbeats: HeartbeatStore = MemoryHeartbeatStore()
    rounds: CanaryRounds = MemoryCanaryRounds()
    operations: OperationsTopic = RecordingOperationsTopic()
    round_incidents: CanaryIncidents = MemoryIncidentStore()
    del heartbeats, rounds, operations, round_incidents
    counters: SpendCounters = MemorySpendCounters()
    shared = MemoryIncidentStore()
    holds: HoldStore = MemoryHoldStore(shared, MemorySendLedger(shared))
    pages: PageQueue = MemoryDispatchQueue()
    del counters, holds, pages
    alerts: AlertStore = MemoryAlertStore()
    requests: RequestLog = MemoryRequestLog()
    changes: ChangeStore = MemoryChangeStore()
    timelines: IncidentTimelines = MemoryTimelines()
    del alerts, requests, changes, timelines


def _every_later_fake_is_its_port() -> None:  # pragma: no cover - read by mypy only
    """The fakes of the ports added since (the function above had grown past ruff's limit)."""
    directory = MemoryDirectory()
    lists: Lists = MemoryLists(MemoryIncidentStore(), MemoryEventStore())
    meter: Meter = RecordingMeter()
    del lists, meter
    people: PeopleStore = directory
    access: AccessLog = MemoryAccessLog()
    erasures = MemoryErasureJobs(MemoryDirectory(), FixedClock(datetime.now(UTC)))
    jobs: ErasureJobs = erasures
    records: PersonalRecords = MemoryPersonalRecords(erasures)
    erasure_queue: ErasureQueue = MemoryErasureQueue()
    del people, access, jobs, records, erasure_queue
    checkins: CheckinStore = MemoryCheckinStore()
    del checkins
    statements: StatementStore = MemoryStatementStore(MemoryIncidentStore())
    social: SocialPoster = RecordingSocialPoster()
    del statements, social
    updates: UpdateSchedule = MemoryUpdateSchedule()
    del updates
    site: SitePublisher = MemorySitePublisher()
    cache: SiteCache = RecordingSiteCache()
    del site, cache
    drills: DrillRegister = MemoryDrillRegister()
    del drills
    identity: IdentityProvider = LocalIdentityProvider(IdentityPool("https://a.example.com", "c"))
    del identity
