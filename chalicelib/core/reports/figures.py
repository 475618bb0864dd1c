"""The figures of an after-action report, as plain values (``reckoning.py`` computes them).

Times are UTC; every duration is in whole or fractional seconds from the incident's trigger
(``Timings.triggered_at``) unless its name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Confirmation(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    DECLINED = "declined"  # said "I can't respond", and never acknowledged afterwards
    SILENT = "silent"  # asked, and never answered in a way that counts


@dataclass(frozen=True)
class Member:
    """What the report needs of a contact: the roles and teams to count them under."""

    contact_id: str
    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timings:
    triggered_at: datetime  # the event was received (or the activation requested by hand)
    decided_at: datetime | None  # the incident was opened (the rule's decision)
    first_message_at: datetime | None  # the first alert handed to AWS
    last_message_at: datetime | None  # the last alert handed to AWS
    first_acknowledged_at: datetime | None
    resolved_at: datetime | None

    def since_trigger(self, at: datetime | None) -> float | None:
        return None if at is None else (at - self.triggered_at).total_seconds()


@dataclass(frozen=True)
class ChannelReach:
    """One channel's alerts: ``planned`` = handed + refused + not_sent; once handed to AWS, a
    message is delivered, failed (a receipt said so) or unknown (no final receipt)."""

    channel: str
    planned: int
    handed: int
    delivered: int
    failed: int  # refused by AWS when sending, or a failure receipt after it was handed over
    unknown: int
    not_sent: int  # planned, yet neither handed to AWS nor refused (held, cancelled, queued)
    failures: dict[str, int] = field(default_factory=dict)  # reason -> count


@dataclass(frozen=True)
class PersonOutcome:
    contact_id: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]
    confirmation: Confirmation
    first_alert_at: datetime | None  # their first alert handed to AWS once they were asked
    answered_at: datetime | None  # their (counted) acknowledgement or decline
    seconds_to_acknowledge: float | None  # from that alert (``reckoning`` says more)
    reached_on: tuple[str, ...]  # channels that delivered, or were handed to AWS without news
    unreachable: tuple[str, ...]  # why not, where known (a failure receipt, no address...)
    not_counted: tuple[str, ...] = ()  # answers recorded that did not count, and why


@dataclass(frozen=True)
class AckStats:
    """Times to acknowledge, in seconds: median (the middle value, or the mean of the two
    middle ones), p90 by the nearest-rank method, and the slowest."""

    count: int
    median: float | None
    p90: float | None
    slowest: float | None


@dataclass(frozen=True)
class GroupConfirmation:
    kind: str  # role | team
    name: str
    asked: int
    acknowledged: int
    declined: int
    silent: int
    times: AckStats


@dataclass(frozen=True)
class EscalationStep:
    at: datetime
    step: int
    outcome: str  # paged | escalated | skipped | exhausted
    paged: tuple[str, ...] = ()


@dataclass(frozen=True)
class Approval:
    at: datetime
    contact_id: str | None
    outcome: str  # approved | rejected | timed_out
    seconds_waited: float | None  # since the approval was requested


@dataclass(frozen=True)
class StatementOut:
    statement_id: str
    audience: str
    language: str
    kind: str
    drafted_at: datetime | None
    approved_at: datetime | None  # the last approval before publishing
    published_at: datetime | None
    sent: tuple[tuple[str, datetime], ...] = ()  # (outlet, when it was handed over or posted)


@dataclass(frozen=True)
class Point:
    seconds: float  # since the trigger
    value: int


@dataclass(frozen=True)
class Report:
    incident_id: str
    title: str
    type: str
    severity: str
    status: str
    exercise: bool
    plan_id: str
    drill_id: str | None
    timings: Timings
    reach: tuple[ChannelReach, ...]
    people: tuple[PersonOutcome, ...]
    roles: tuple[GroupConfirmation, ...]
    teams: tuple[GroupConfirmation, ...]
    overall: GroupConfirmation
    escalations: tuple[EscalationStep, ...]
    approvals: tuple[Approval, ...]
    statements: tuple[StatementOut, ...]
    acknowledgements_over_time: tuple[Point, ...]  # cumulative
    deliveries_over_time: dict[str, tuple[Point, ...]]  # channel -> cumulative delivered

    @property
    def never_answered(self) -> tuple[PersonOutcome, ...]:
        return tuple(p for p in self.people if p.confirmation is Confirmation.SILENT)
