"""The message budget: how many messages (and SMS parts, voice minutes) Tocsin may send an
hour on each channel before it holds the rest for a person to release. Pure.

    - id: budget
      per_hour:                        # per clock hour (UTC), across every incident
        sms: {messages: 300, parts: 600}
        voice: {messages: 60, minutes: 180}
        email: {messages: 2000}
      release:                         # who is paged, once an hour, when messages are held
        role: executive
        channels: [sms, email]
        reserve: 10                    # messages a channel an hour for that page alone
      estimate_above: 100              # a fan-out of more messages records its cost first

Every field is optional; what is left out keeps the default below (policies/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.fields import Collector, read_count, read_known, read_list, read_object
from chalicelib.core.model import Channel

# What each channel counts besides messages, when it counts anything: SMS parts (carriers bill
# each 153- or 67-character part) and voice minutes (billed by the started minute).
UNIT_NAMES = {Channel.SMS: "parts", Channel.VOICE: "minutes"}


@dataclass(frozen=True)
class ChannelBudget:
    """At most ``messages`` an hour on a channel, and ``units`` (SMS parts, voice minutes)."""

    messages: int
    units: int | None = None


DEFAULT_PER_HOUR: Mapping[Channel, ChannelBudget] = {
    Channel.SMS: ChannelBudget(300, 600),
    Channel.VOICE: ChannelBudget(60, 180),
    Channel.EMAIL: ChannelBudget(2000),
    Channel.PUSH: ChannelBudget(5000),
    Channel.BROADCAST: ChannelBudget(30),
}


@dataclass(frozen=True)
class Budget:
    per_hour: Mapping[Channel, ChannelBudget] = field(default_factory=lambda: DEFAULT_PER_HOUR)
    release_role: str | None = None  # None: nobody is paged; the alarm still fires
    release_channels: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL)
    reserve: int = 10  # messages a channel an hour for the release page, outside the budget
    estimate_above: int = 100

    def limit(self, channel: Channel) -> ChannelBudget:
        return self.per_hour[channel]

    def describe(self, channel: Channel) -> str:
        """``sms: 300 messages and 600 parts an hour``."""
        limit = self.per_hour[channel]
        units = f" and {limit.units} {UNIT_NAMES[channel]}" if limit.units is not None else ""
        return f"{channel.value}: {limit.messages} messages{units} an hour"


def parse_budget(document: Any, where: str, roles: Mapping[str, str]) -> Budget:
    fields = read_object(
        document, where, required={"id"}, optional={"per_hour", "release", "estimate_above"}
    )
    found = Collector()
    per_hour = dict(DEFAULT_PER_HOUR)
    if "per_hour" in fields:
        none: dict[Channel, ChannelBudget] = {}
        per_hour |= found.read(lambda: _per_hour(fields["per_hour"], f"{where}.per_hour"), none)
    release = fields.get("release", {})
    budget = Budget(per_hour=per_hour)
    budget = found.read(lambda: _release(budget, release, f"{where}.release", roles), budget)
    if "estimate_above" in fields:
        above = found.read(
            lambda: read_count(fields["estimate_above"], f"{where}.estimate_above", minimum=0), 0
        )
        budget = replace(budget, estimate_above=above)
    found.check()
    return budget


def _per_hour(value: Any, path: str) -> dict[Channel, ChannelBudget]:
    if not isinstance(value, Mapping):
        raise InvalidPolicy(path, "must be a mapping of channel to its hourly budget")
    found = Collector()
    limits: dict[Channel, ChannelBudget] = {}
    for name, spec in value.items():
        try:
            channel = read_channel(name, f"{path}.{name}")
            limits[channel] = _limit(spec, f"{path}.{channel.value}", channel)
        except InvalidPolicies as invalid:
            found.errors += invalid.errors
        except InvalidPolicy as invalid:
            found.errors.append(invalid)
    found.check()
    return limits


def read_channel(value: Any, path: str) -> Channel:
    """A channel by name; anything else names the channels there are."""
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(channel.value for channel in Channel)
        raise InvalidPolicy(path, f"unknown channel {value!r}; expected {allowed}") from None


def _limit(spec: Any, path: str, channel: Channel) -> ChannelBudget:
    unit = UNIT_NAMES.get(channel)
    fields = read_object(spec, path, required={"messages"}, optional={unit} if unit else set())
    zero = "; a budget of zero would hold every message (leave the channel out of plans instead)"
    found = Collector()
    messages = found.read(lambda: _positive(fields["messages"], f"{path}.messages", zero), 1)
    units = DEFAULT_PER_HOUR[channel].units
    if unit is not None and unit in fields:
        units = found.read(lambda: _positive(fields[unit], f"{path}.{unit}", zero), 1)
    found.check()
    return ChannelBudget(messages, units)


def _positive(value: Any, path: str, why: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        raise InvalidPolicy(path, f"must be at least 1{why}")
    return read_count(value, path)


def _release(budget: Budget, value: Any, path: str, roles: Mapping[str, str]) -> Budget:
    fields = read_object(value, path, required=set(), optional={"role", "channels", "reserve"})
    found = Collector()
    role = None
    if "role" in fields:
        role = found.read(lambda: read_known(fields["role"], f"{path}.role", roles, "role"), None)
    channels = budget.release_channels
    if "channels" in fields:
        channels = found.read(lambda: _release_channels(fields["channels"], path), channels)
    reserve = budget.reserve
    if "reserve" in fields:
        reserve = found.read(lambda: read_count(fields["reserve"], f"{path}.reserve"), reserve)
    found.check()
    return replace(budget, release_role=role, release_channels=channels, reserve=reserve)


def _release_channels(value: Any, path: str) -> tuple[Channel, ...]:
    channels = tuple(
        read_channel(name, f"{path}.channels[{index}]")
        for index, name in enumerate(read_list(value, f"{path}.channels"))
    )
    if not channels:
        raise InvalidPolicy(f"{path}.channels", "must name at least one channel")
    if Channel.BROADCAST in channels:
        raise InvalidPolicy(f"{path}.channels", "broadcast reaches a topic, not the release role")
    return channels
