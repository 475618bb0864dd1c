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
    from chalicelib.core.response.ports import PhoneOwners, ReachedLedger
    from fakes import (
        FixedClock,
        MemoryDirectory,
        MemoryDispatchQueue,
        MemoryEventQueue,
        MemoryEventStore,
        MemoryIdempotencyStore,
        MemoryIncidentStore,
        MemoryOverrideStore,
        MemoryPlaybookSource,
        MemoryResponderRegistry,
        MemoryScheduleSlots,
        MemorySendLedger,
        RecordingBatchChannel,
        RecordingChannel,
        ScriptedChannel,
    )


def _every_fake_is_its_port() -> None:  # pragma: no cover - read by mypy only
    incidents: IncidentStore = MemoryIncidentStore()
    events: EventStore = MemoryEventStore()
    event_queue: EventQueue = MemoryEventQueue()
    slots: ScheduleSlots = MemoryScheduleSlots()
    requests: IdempotencyStore = MemoryIdempotencyStore()
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
    overrides: OverrideStore = MemoryOverrideStore()
    playbooks: PlaybookSource = MemoryPlaybookSource()
    clock: Clock = FixedClock(datetime.now(UTC))
    sms: ChannelSender = RecordingChannel(Channel.SMS)
    push: BatchSender = RecordingBatchChannel(Channel.PUSH)
    scripted: ChannelSender = ScriptedChannel(sms, {})
    del incidents, events, event_queue, slots, requests, dispatch, sends, reached, deliveries
    del contacts, owners, addresses, registry, overrides, playbooks, clock, push, scripted
