"""The domain's values: events, incidents, contacts, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad it is. Ordered: ``Severity.CRITICAL.rank > Severity.HIGH.rank``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Action(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class EventStatus(StrEnum):
    """CAP's status: real, a drill, or a technical test."""

    ACTUAL = "actual"
    EXERCISE = "exercise"
    TEST = "test"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"  # a call that reads the message (End User Messaging)
    PUSH = "push"  # the person's devices (APNs, FCM) through Pinpoint SendMessages
    BROADCAST = "broadcast"  # one statement to the stakeholder topic (people subscribe there)

    @property
    def uses_phone(self) -> bool:
        return self in (Channel.SMS, Channel.VOICE)


@dataclass(frozen=True)
class Link:
    href: str
    text: str = ""


@dataclass(frozen=True)
class CanonicalEvent:
    """Every trigger, whatever its source format, becomes one of these."""

    source: str
    type: str
    action: Action
    severity: Severity
    status: EventStatus
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    dedup_key: str | None = None
    occurred_at: datetime | None = None
    links: tuple[Link, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # e.g. env=prod, for rules to match


@dataclass(frozen=True)
class ReceivedEvent:
    """An accepted event with the identity and time Tocsin gave it."""

    event_id: str
    received_at: datetime
    event: CanonicalEvent
    format: str = "tocsin"
    original: Any = None  # the foreign payload it was mapped from (None for native events)
    namespace: str = ""  # the sender's dedup namespace ("": received before namespaces)
    held: bool = False  # queued again by the tick once its window opened: its record says when

    @property
    def dedup_key(self) -> str:
        """The caller's dedup key, or one unique to this event when it gave none."""
        return self.event.dedup_key or self.event_id

    @property
    def scoped_dedup_key(self) -> str:
        """The dedup key within the sender's namespace: what finds and opens incidents."""
        return scope_dedup_key(self.namespace, self.dedup_key)


def scope_dedup_key(namespace: str, dedup_key: str) -> str:
    """``<namespace>#<key>``, ``%`` and ``#`` escaped in the namespace so no two pairs meet;
    without one (incidents opened before namespaces), the bare key, as it was stored then."""
    escaped = namespace.replace("%", "%25").replace("#", "%23")
    return f"{escaped}#{dedup_key}" if namespace else dedup_key


class IncidentStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # held at the gate: people must approve it first
    OPEN = "open"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"  # rejected at the gate (or timed out there): nobody was notified


class Stop(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # the quorum acknowledged
    EXHAUSTED = "exhausted"  # every level and repeat was paged; nobody acknowledged
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ResponseState:
    """Who was paged, step by step, who acknowledged (the people whose acknowledgement counts
    toward the quorum), who declined, and the next escalation deadline of one incident."""

    policy_id: str | None = None
    step: int = -1  # the step last paged; -1: none yet
    due_at: datetime | None = None  # when the next step is paged; None: nothing scheduled
    paged: tuple[str, ...] = ()  # contacts paged at the current step
    acknowledged_by: tuple[str, ...] = ()
    declined_by: tuple[str, ...] = ()
    stopped: Stop | None = None
    version: int = 0
    paged_by_step: tuple[tuple[str, ...], ...] = ()  # who each step paged (skipped: nobody)

    @classmethod
    def starting(cls, policy_id: str | None, at: datetime) -> ResponseState:
        """A new incident: with a policy, its first level is due at once."""
        return cls(policy_id=policy_id, due_at=at if policy_id else None)

    def is_due(self, now: datetime) -> bool:
        return self.stopped is None and self.due_at is not None and self.due_at <= now

    @property
    def paged_so_far(self) -> frozenset[str]:
        """Everyone a step of the policy has paged up to now: whose acknowledgement counts."""
        return frozenset(c for paged in (*self.paged_by_step, self.paged) for c in paged)


@dataclass(frozen=True)
class Incident:
    incident_id: str
    status: IncidentStatus
    title: str
    type: str
    severity: Severity
    event_status: EventStatus
    dedup_key: str
    rule_id: str
    plan_id: str
    opened_at: datetime
    updated_at: datetime
    event_count: int = 1
    resolved_at: datetime | None = None
    playbook_version: int = 0  # the playbook it started with, kept for its whole life
    requested_by: str | None = None  # the contact who activated it by hand
    approved_by: tuple[str, ...] = ()  # who approved it at the gate, in order
    response: ResponseState = field(default_factory=ResponseState)
    links: tuple[Link, ...] = ()  # the opening event's (a status page, the alert's source)
    dedup_namespace: str = ""  # whose dedup key it is: only that sender's events reach it
    first_sent_at: datetime | None = None  # when its first alert was handed to AWS
    # When it, and every record of it, is gone (the playbook's retention, from opening); None:
    # kept until erased by hand (incidents opened before retention existed).
    expires_at: datetime | None = None
    drill_id: str | None = None  # the drill it runs (core/drills), always an exercise
    drill_kind: str | None = None
    roster: frozenset[str] | None = None  # a drill's: nobody else is ever sent anything

    @property
    def is_exercise(self) -> bool:
        return self.event_status is not EventStatus.ACTUAL

    @property
    def scoped_dedup_key(self) -> str:
        return scope_dedup_key(self.dedup_namespace, self.dedup_key)


@dataclass(frozen=True)
class Contact:
    """A person who can be reached. Personal data: never logged, never in git.

    ``consents``: the channels they agreed to be reached on (None: every one with an address).
    ``opted_out``: channels they switched off (an SMS STOP): it wins over consent, at sending."""

    contact_id: str
    name: str
    roles: tuple[str, ...]
    language: str = "en"
    phone: str | None = None
    email: str | None = None
    teams: tuple[str, ...] = ()
    timezone: str = "UTC"
    push_tokens: tuple[str, ...] = ()  # "apns:<token>" or "fcm:<token>"
    consents: frozenset[Channel] | None = None
    opted_out: frozenset[Channel] = frozenset()
    unusable: frozenset[Channel] = frozenset()  # hard bounce, complaint, number that can't receive
    reports_to: str | None = None  # their lead's contact id (a check-in may tell the lead)
    labels: tuple[str, ...] = ()  # free slugs ("building-a", "first-aider"): a check-in's audience
    # When they work, on their time zone's clock ("weekdays 09:00-17:00"; working_hours.py);
    working_hours: tuple[str, ...] = ()  # empty: not stated (never counted out of hours)

    def destination(self, channel: Channel) -> str | None:
        if channel is Channel.PUSH:
            return ";".join(self.push_tokens) or None
        return self.phone if channel.uses_phone else self.email

    def unreachable_on(self, channel: Channel) -> str | None:
        """Why ``channel`` cannot be used for this person, or None when it can."""
        if self.destination(channel) is None:
            return f"no {channel.value} address"
        if channel in self.opted_out:
            return f"opted out of {channel.value}"
        if channel in self.unusable:
            return f"{channel.value} address unusable (bounced or refused)"
        if self.consents is not None and channel not in self.consents:
            return f"no consent for {channel.value}"
        return None


STAKEHOLDERS = "@stakeholders"  # the "contact" of a broadcast job: a topic, not a person


class Notice(StrEnum):
    ALERT = "alert"  # the incident needs you (step 0: the plan; 1, 2...: escalation steps)
    RESOLVED = "resolved"  # it is over (sent to everyone an alert reached)
    BUDGET = "budget"  # messages are held past the budget: release or cancel them (release role)
    CHECKIN = "checkin"  # "are you safe?" (step 0: asked; 1, 2...: reminders to the silent)
    CHECKIN_LEAD = "checkin_lead"  # to a team's lead: these people of yours have not answered
    APPROVAL = "approval"  # an activation waits at the gate: approve or reject it (approvers)
    UPDATE = "update"  # a person's update (step: its number) to everyone the incident reached
    UPDATE_DUE = "update_due"  # an update is overdue (step: its number): the plan's updates role


@dataclass(frozen=True)
class NotificationJob:
    """One message to one person on one channel; ``step`` numbers escalation steps."""

    incident_id: str
    contact_id: str
    channel: Channel
    step: int = 0
    fallbacks: tuple[Channel, ...] = ()  # tried in order, at once, if this channel fails
    notice: Notice = Notice.ALERT
    hold: str | None = None  # released from this hold: sent past the budget, a person decided

    @property
    def ledger_name(self) -> str:
        """Unique within the incident: who, how, which step, which notice."""
        suffix = "" if self.notice is Notice.ALERT else f"#{self.notice.value}"
        return f"{self.contact_id}#{self.channel.value}#{self.step}{suffix}"


@dataclass(frozen=True)
class Message:
    """What a channel hands to AWS: a body, and a subject where the channel has one."""

    body: str
    subject: str | None = None
    language: str | None = None  # the template language used (voice picks its voice by it)
    html: str | None = None  # email: the HTML part beside the plain text
    link: str | None = None  # push: the person's answer link, opened when they tap the alert


@dataclass(frozen=True)
class SendReceipt:
    """AWS accepted the message; ``message_id`` is AWS's id for it."""

    message_id: str


class DecisionOutcome(StrEnum):
    PENDING = "pending"
    ACTIVATED = "activated"
    UPDATED = "updated"
    SUPPRESSED = "suppressed"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"  # could not be decided after every try; decided again if redriven
    HELD = "held"  # outside its rule's active hours: decided when the window opens (decide_at)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an incident's story; one with a ``key`` is written once, however retried."""

    at: datetime
    kind: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
