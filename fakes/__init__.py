"""In-memory fakes of every port of Tocsin's core, for unit tests, benchmarks and the fault
harness. Never deployed (not in ``chalicelib``); each fake has a contract suite in
``tests/functional`` that runs against it and against its AWS adapter, so it cannot drift.

======================================  =================================================
port (chalicelib.core...)               fake
======================================  =================================================
ports.Clock                             FixedClock
ports.IncidentStore                     MemoryIncidentStore
ports.ContactDirectory, response.       MemoryDirectory
ports.PhoneOwners, messaging.receipts.
UsableAddresses
activation.ports.EventStore             MemoryEventStore
activation.ports.EventQueue             MemoryEventQueue
activation.ports.ScheduleSlots          MemoryScheduleSlots
activation.ports.IdempotencyStore       MemoryIdempotencyStore
messaging.ports.DispatchQueue           MemoryDispatchQueue
messaging.ports.SendLedger, response.   MemorySendLedger
ports.ReachedLedger, messaging.
receipts.DeliveryLedger
messaging.ports.ChannelSender /         RecordingChannel / RecordingBatchChannel,
BatchSender                             ScriptedChannel (scripted failures)
messaging.passes.ResponderRegistry      MemoryResponderRegistry
oncall.coverage.OverrideStore           MemoryOverrideStore
playbook.source.PlaybookSource          MemoryPlaybookSource
======================================  =================================================

:class:`MemoryWorld` wires them all into the use cases, as ``chalicelib/wiring.py`` does.
"""

from fakes.channels import RecordingBatchChannel, RecordingChannel, ScriptedChannel, Sent
from fakes.clock import FixedClock
from fakes.directory import MemoryDirectory
from fakes.events import MemoryEventStore, MemoryScheduleSlots
from fakes.idempotency import MemoryIdempotencyStore
from fakes.incidents import MemoryIncidentStore
from fakes.ledger import MemorySendLedger
from fakes.oncall import MemoryOverrideStore
from fakes.playbooks import MemoryPlaybookSource
from fakes.queues import MemoryDispatchQueue, MemoryEventQueue
from fakes.responders import MemoryResponderRegistry
from fakes.world import MemoryWorld

__all__ = [
    "FixedClock",
    "MemoryDirectory",
    "MemoryDispatchQueue",
    "MemoryEventQueue",
    "MemoryEventStore",
    "MemoryIdempotencyStore",
    "MemoryIncidentStore",
    "MemoryOverrideStore",
    "MemoryPlaybookSource",
    "MemoryResponderRegistry",
    "MemoryScheduleSlots",
    "MemorySendLedger",
    "MemoryWorld",
    "RecordingBatchChannel",
    "RecordingChannel",
    "ScriptedChannel",
    "Sent",
]
