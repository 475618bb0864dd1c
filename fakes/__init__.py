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
response.ports.ReplyBudget              MemoryReplyBudget
oncall.coverage.OverrideStore           MemoryOverrideStore
playbook.source.PlaybookSource          MemoryPlaybookSource
watch.ports.HeartbeatStore              MemoryHeartbeatStore
watch.ports.CanaryRounds                MemoryCanaryRounds
watch.ports.OperationsTopic             RecordingOperationsTopic
spend.ports.SpendCounters               MemorySpendCounters
spend.ports.HoldStore                   MemoryHoldStore
checkins.ports.CheckinStore             MemoryCheckinStore
statements.ports.StatementStore         MemoryStatementStore
statements.ports.SocialPoster           RecordingSocialPoster
updates.ports.UpdateSchedule            MemoryUpdateSchedule
site.ports.SitePublisher                MemorySitePublisher
site.ports.SiteCache                    RecordingSiteCache
dropin.ports.AlertStore                 MemoryAlertStore
dropin.ports.RequestLog                 MemoryRequestLog
dropin.ports.ChangeStore                MemoryChangeStore
dropin.ports.IncidentTimelines          MemoryTimelines
drills.ports.DrillRegister              MemoryDrillRegister
listing.Lists                           MemoryLists
telemetry.Meter                         RecordingMeter
privacy.ports.PeopleStore               MemoryDirectory (its saves carry their record)
privacy.ports.AccessLog                 MemoryAccessLog
privacy.ports.ErasureJobs               MemoryErasureJobs
privacy.ports.PersonalRecords           MemoryPersonalRecords
privacy.ports.ErasureQueue              MemoryErasureQueue
======================================  =================================================

:class:`MemoryWorld` wires them all into the use cases, as ``chalicelib/wiring.py`` does.
"""

from fakes.access_log import MemoryAccessLog
from fakes.channels import RecordingBatchChannel, RecordingChannel, ScriptedChannel, Sent
from fakes.checkins import MemoryCheckinStore
from fakes.clock import FixedClock
from fakes.directory import MemoryDirectory
from fakes.drills import MemoryDrillRegister
from fakes.dropin import MemoryAlertStore, MemoryChangeStore, MemoryRequestLog, MemoryTimelines
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
from fakes.world import MemoryWorld

__all__ = [
    "FixedClock",
    "MemoryAccessLog",
    "MemoryAlertStore",
    "MemoryCanaryRounds",
    "MemoryChangeStore",
    "MemoryCheckinStore",
    "MemoryDirectory",
    "MemoryDispatchQueue",
    "MemoryDrillRegister",
    "MemoryErasureJobs",
    "MemoryErasureQueue",
    "MemoryEventQueue",
    "MemoryEventStore",
    "MemoryHeartbeatStore",
    "MemoryHoldStore",
    "MemoryIdempotencyStore",
    "MemoryIncidentStore",
    "MemoryLists",
    "MemoryOverrideStore",
    "MemoryPersonalRecords",
    "MemoryPlaybookSource",
    "MemoryReplyBudget",
    "MemoryRequestLog",
    "MemoryResponderRegistry",
    "MemoryScheduleSlots",
    "MemorySendLedger",
    "MemorySitePublisher",
    "MemorySpendCounters",
    "MemoryStatementStore",
    "MemoryTimelines",
    "MemoryUpdateSchedule",
    "MemoryWorld",
    "RecordingBatchChannel",
    "RecordingChannel",
    "RecordingMeter",
    "RecordingOperationsTopic",
    "RecordingSiteCache",
    "RecordingSocialPoster",
    "ScriptedChannel",
    "Sent",
]
