"""The figures Tocsin publishes about itself, and the port the use cases record them through.

Each figure is recorded once for what it counts, where that is decided: an event counts as
decided when its decision is written (a redelivered event is not counted again), time to first
send when the incident's first alert is recorded (one conditional write wins), time to
acknowledge when the acknowledgement that stops escalation is saved. The deployment publishes
them as CloudWatch metrics (Powertools' embedded metric format, ``observability.py``) and builds
its dashboard and alarms from this list (``infra/tocsin_infra/observability.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from chalicelib.core.model import Channel, DecisionOutcome

# Where the figures are published: CloudWatch namespace and the dimensions every one carries.
NAMESPACE = "Tocsin"
SERVICE = "tocsin"  # the "service" dimension (and the logs' service)
STAGE_DIMENSION = "stage"


class Unit(StrEnum):
    COUNT = "Count"
    SECONDS = "Seconds"


@dataclass(frozen=True)
class Figure:
    name: str  # the CloudWatch metric name
    unit: Unit
    description: str
    dimension: str | None = None  # recorded per value of this dimension (and in total)

    @property
    def values(self) -> tuple[str, ...]:
        """Every value the dimension takes, for dashboards and alarms."""
        return DIMENSION_VALUES.get(self.dimension or "", ())


DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "channel": tuple(channel.value for channel in Channel),
    "outcome": tuple(o.value for o in DecisionOutcome if o is not DecisionOutcome.PENDING),
}

EVENTS_ACCEPTED = Figure("EventsAccepted", Unit.COUNT, "events accepted (202) and queued")
EVENTS_DECIDED = Figure("EventsDecided", Unit.COUNT, "events decided, by outcome", "outcome")
MESSAGES_SENT = Figure("MessagesSent", Unit.COUNT, "messages handed to AWS", "channel")
MESSAGES_FAILED = Figure(
    "MessagesFailed", Unit.COUNT, "messages AWS refused or could not take", "channel"
)
MESSAGES_THROTTLED = Figure(
    "MessagesThrottled", Unit.COUNT, "sends AWS throttled (each is retried)", "channel"
)
TIME_TO_FIRST_SEND = Figure(
    "TimeToFirstSend", Unit.SECONDS, "from an incident opening to its first alert handed to AWS"
)
TIME_TO_ACKNOWLEDGE = Figure(
    "TimeToAcknowledge",
    Unit.SECONDS,
    "from an incident opening to the acknowledgement that stopped its escalation",
)
ESCALATIONS_FIRED = Figure(
    "EscalationsFired", Unit.COUNT, "escalation levels paged because nobody acknowledged in time"
)
ESCALATIONS_EXHAUSTED = Figure(
    "EscalationsExhausted", Unit.COUNT, "incidents whose every escalation level went unanswered"
)
GATES_TIMED_OUT = Figure(
    "GatesTimedOut",
    Unit.COUNT,
    "activations nobody approved in time at the verification gate (then paged, cancelled or "
    "escalated, as the plan says)",
)
CHECKIN_REMINDERS = Figure(
    "CheckinReminders", Unit.COUNT, "people reminded of a check-in they had not answered"
)

FIGURES = (
    EVENTS_ACCEPTED,
    EVENTS_DECIDED,
    MESSAGES_SENT,
    MESSAGES_FAILED,
    MESSAGES_THROTTLED,
    TIME_TO_FIRST_SEND,
    TIME_TO_ACKNOWLEDGE,
    ESCALATIONS_FIRED,
    ESCALATIONS_EXHAUSTED,
    GATES_TIMED_OUT,
    CHECKIN_REMINDERS,
)


class Meter(Protocol):
    def record(self, figure: Figure, value: float = 1, by: str | None = None) -> None:
        """Add ``value`` to ``figure`` (for its dimension's value ``by``, when it has one)."""
        ...


class NoMeter:
    """Records nothing: for callers whose figures nobody collects (the ``tocsin`` command)."""

    def record(self, figure: Figure, value: float = 1, by: str | None = None) -> None:
        return None


NO_METER = NoMeter()
