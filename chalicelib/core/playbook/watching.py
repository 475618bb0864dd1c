"""What the playbook asks Tocsin to watch besides events: heartbeats from the tools that should
be talking to it, and canaries that prove each channel still delivers. Pure.

    heartbeats:                          canaries:
      - id: nightly-backup                 - id: hourly-canary
        every: 1d      # a ping at least     every: 1h          # a round each hour
        grace: 2h      # ... plus this       contacts: [c-canary]
        severity: high                       channels: [sms, email, voice]   # default: all
                                             receipt_within: 15m
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    read_choice,
    read_duration,
    read_identifier,
    read_identifiers,
    read_list,
    read_object,
    read_string,
)
from chalicelib.core.model import Channel, Severity

# The check runs once a minute: a shorter interval could not be told from a late tick.
MIN_HEARTBEAT_INTERVAL = timedelta(minutes=1)
# Every canary round sends real messages, which cost money and wake phones.
MIN_CANARY_INTERVAL = timedelta(minutes=5)
DEFAULT_RECEIPT_WITHIN = timedelta(minutes=15)
MAX_CANARY_CONTACTS = 10
# Channels whose AWS service reports deliveries back to Tocsin (SES events, SNS SMS status,
# End User Messaging events). Pinpoint push reports nothing after SendMessages, so a canary
# could never see it arrive.
WATCHABLE_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.VOICE)
HEARTBEAT_LABEL = "heartbeat"  # set by Tocsin on every heartbeat.missed event
_ZERO = re.compile(r"0+[smhd]?")
_LABEL_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday at midnight: rounds start on round times


@dataclass(frozen=True)
class Heartbeat:
    """A tool that promises to ``POST /v1/heartbeats/{heartbeat_id}`` at least ``every``;
    silent for ``every + grace``, it is missed."""

    heartbeat_id: str
    every: timedelta
    grace: timedelta
    severity: Severity = Severity.HIGH
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""

    def overdue_at(self, since: datetime) -> datetime:
        """When a heartbeat last heard of at ``since`` counts as missed."""
        return since + self.every + self.grace


@dataclass(frozen=True)
class Canary:
    """Every ``every``, a test message on each channel to ``contacts``; each must come back
    with a delivery receipt within ``receipt_within``."""

    canary_id: str
    every: timedelta
    contacts: tuple[str, ...]
    channels: tuple[Channel, ...] = ()  # empty: every configured channel that reports back
    receipt_within: timedelta = DEFAULT_RECEIPT_WITHIN
    severity: Severity = Severity.HIGH
    description: str = ""

    def round_start(self, now: datetime) -> datetime:
        """The start of the round ``now`` falls in (rounds start at whole multiples of
        ``every`` since a fixed Monday midnight UTC: 10:00, 11:00 for ``1h``)."""
        periods = (now - _EPOCH) // self.every
        return _EPOCH + periods * self.every

    def watched(self, configured: frozenset[Channel]) -> tuple[Channel, ...]:
        """The channels a round tests, given those the deployment has."""
        wanted = self.channels or WATCHABLE_CHANNELS
        return tuple(channel for channel in wanted if channel in configured)


def parse_heartbeat(document: Any, path: str) -> Heartbeat:
    fields = read_object(
        document,
        path,
        required={"id", "every", "grace"},
        optional={"description", "severity", "labels"},
    )
    collect = Collector()
    heartbeat_id = collect.read(lambda: read_identifier(fields["id"], f"{path}.id"), "")
    every = collect.read(lambda: _interval(fields["every"], f"{path}.every"), timedelta(0))
    grace = collect.read(lambda: _span(fields["grace"], f"{path}.grace"), timedelta(0))
    severity = collect.read(
        lambda: read_choice(fields.get("severity", "high"), f"{path}.severity", Severity),
        Severity.HIGH,
    )
    no_labels: dict[str, str] = {}
    labels = collect.read(lambda: _labels(fields.get("labels", {}), f"{path}.labels"), no_labels)
    description = collect.read(
        lambda: read_string(fields.get("description", ""), f"{path}.description"), ""
    )
    collect.check()
    return Heartbeat(heartbeat_id, every, grace, severity, labels, description)


def parse_canary(document: Any, path: str) -> Canary:
    fields = read_object(
        document,
        path,
        required={"id", "every", "contacts"},
        optional={"description", "channels", "receipt_within", "severity"},
    )
    collect = Collector()
    canary_id = collect.read(lambda: read_identifier(fields["id"], f"{path}.id"), "")
    every = collect.read(lambda: _canary_interval(fields["every"], f"{path}.every"), timedelta(0))
    nobody: tuple[str, ...] = ()
    every_channel: tuple[Channel, ...] = ()
    contacts = collect.read(lambda: _contacts(fields["contacts"], f"{path}.contacts"), nobody)
    channels = collect.read(
        lambda: _channels(fields.get("channels"), f"{path}.channels"), every_channel
    )
    within = collect.read(
        lambda: read_duration(fields.get("receipt_within", "15m"), f"{path}.receipt_within"),
        DEFAULT_RECEIPT_WITHIN,
    )
    severity = collect.read(
        lambda: read_choice(fields.get("severity", "high"), f"{path}.severity", Severity),
        Severity.HIGH,
    )
    description = collect.read(
        lambda: read_string(fields.get("description", ""), f"{path}.description"), ""
    )
    collect.check()
    if within < MIN_HEARTBEAT_INTERVAL:
        raise InvalidPolicy(f"{path}.receipt_within", "must be at least 1m")
    if within >= every:
        raise InvalidPolicy(
            f"{path}.receipt_within",
            "must be shorter than 'every': a round is judged before the next one starts",
        )
    return Canary(canary_id, every, contacts, channels, within, severity, description)


def _interval(value: Any, path: str) -> timedelta:
    if _is_zero(value):
        raise InvalidPolicy(
            path,
            "must be longer than zero: how often the tool pings, such as '5m' or '1d' "
            "(a heartbeat due every 0s is always late)",
        )
    interval = read_duration(value, path)
    if interval < MIN_HEARTBEAT_INTERVAL:
        raise InvalidPolicy(path, "must be at least 1m: the check runs once a minute")
    return interval


def _is_zero(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_ZERO.fullmatch(value.strip()))
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _canary_interval(value: Any, path: str) -> timedelta:
    interval = read_duration(value, path)
    if interval < MIN_CANARY_INTERVAL:
        raise InvalidPolicy(
            path, "must be at least 5m: every round sends real messages to the canary contacts"
        )
    return interval


def _span(value: Any, path: str) -> timedelta:
    """A duration that may be zero (``0m``: missed the moment the interval is over)."""
    if _is_zero(value):
        return timedelta(0)
    return read_duration(value, path)


def _labels(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidPolicy(path, "must be a mapping of label names to strings")
    labels = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _LABEL_NAME.fullmatch(name):
            raise InvalidPolicy(f"{path}.{name}", "name must be letters, digits and underscores")
        if name == HEARTBEAT_LABEL:
            raise InvalidPolicy(f"{path}.{name}", "is set by Tocsin to the heartbeat's id")
        labels[name] = read_string(text, f"{path}.{name}")
    return labels


def _contacts(value: Any, path: str) -> tuple[str, ...]:
    contacts = read_identifiers(value, path)
    if not contacts or len(contacts) > MAX_CANARY_CONTACTS:
        raise InvalidPolicy(path, f"must name 1 to {MAX_CANARY_CONTACTS} contact ids")
    if len(set(contacts)) != len(contacts):
        raise InvalidPolicy(path, "names a contact twice")
    return contacts


def _channels(value: Any, path: str) -> tuple[Channel, ...]:
    if value is None:
        return ()
    channels = []
    for index, item in enumerate(read_list(value, path)):
        if item == Channel.PUSH.value:
            raise InvalidPolicy(
                f"{path}[{index}]",
                "push reports no delivery receipts, so a canary cannot see it arrive",
            )
        channel = read_choice(item, f"{path}[{index}]", Channel)
        if channel not in WATCHABLE_CHANNELS:
            raise InvalidPolicy(f"{path}[{index}]", "must be one of sms, email, voice")
        channels.append(channel)
    if not channels:
        raise InvalidPolicy(path, "must name at least one channel (or leave it out: all)")
    if len(set(channels)) != len(channels):
        raise InvalidPolicy(path, "names a channel twice")
    return tuple(channels)
