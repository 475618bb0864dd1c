"""Escalation policies and where an incident stands in one. Pure.

A policy is ordered levels; each names targets (roles, teams, on-call schedules, people), how to
reach them (channels at once, or a fallback chain), how long to wait for an acknowledgement, and
how many acknowledgements are needed (the quorum). When nobody acknowledges in time the next
level is paged; after the last level the whole policy runs again ``repeat`` times. A level with
nobody reachable is skipped at once. The incident's :class:`ResponseState` records the step it
is at (counting repeats), when the next one is due, and who acknowledged or declined; every
change to it is a conditional write on its ``version``, so two ticks, or a tick racing an
acknowledgement, never escalate twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    read_count,
    read_duration,
    read_identifier,
    read_list,
    read_object,
    read_string,
)
from chalicelib.core.model import Channel

TARGET_KINDS = ("role", "team", "schedule", "contact")
MAX_TIMEOUT = timedelta(hours=24)
DIRECT_PREFIX = "@"  # "@role:hr": a policy no document declares, paging one target directly
DIRECT_TIMEOUT = timedelta(minutes=5)
DIRECT_REPEAT = 2


@dataclass(frozen=True)
class LevelTarget:
    kind: str  # one of TARGET_KINDS
    name: str

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class EscalationLevel:
    targets: tuple[LevelTarget, ...]
    channels: tuple[Channel, ...]
    timeout: timedelta
    chain: bool = False  # True: ``channels`` is a fallback chain
    quorum: int = 1  # acknowledgements needed to stop escalating

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(target.name for target in self.targets if target.kind == kind)


@dataclass(frozen=True)
class EscalationPolicy:
    policy_id: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0  # run the levels again this many times when nobody acknowledges
    description: str = ""

    @property
    def steps(self) -> int:
        return len(self.levels) * (self.repeat + 1)

    def level(self, step: int) -> EscalationLevel:
        return self.levels[step % len(self.levels)]

    def describe_step(self, step: int) -> str:
        number = step % len(self.levels) + 1
        cycle = step // len(self.levels)
        text = f"level {number} of {len(self.levels)} ({self.policy_id})"
        return text + (f", repeat {cycle}" if cycle else "")


def parse_escalation(document: Any, path: str, known: Mapping[str, set[str]]) -> EscalationPolicy:
    """``known`` maps each target kind but ``contact`` to the ids the playbook declares."""
    fields = read_object(
        document, path, required={"id", "levels"}, optional={"description", "repeat"}
    )
    found = Collector()
    nothing: Sequence[Any] = ()
    level_documents = found.read(lambda: read_list(fields["levels"], f"{path}.levels"), nothing)
    levels = [
        found.read(partial(_parse_level, doc, f"{path}.levels[{index}]", known), None)
        for index, doc in enumerate(level_documents)
    ]
    if not level_documents and not found.errors:
        found.errors.append(InvalidPolicy(f"{path}.levels", "must have at least one level"))
    policy = EscalationPolicy(
        policy_id=found.read(lambda: read_identifier(fields["id"], f"{path}.id"), ""),
        levels=tuple(level for level in levels if level is not None),
        repeat=found.read(
            lambda: read_count(fields.get("repeat", 0), f"{path}.repeat", minimum=0), 0
        ),
        description=found.read(
            lambda: read_string(fields.get("description", ""), f"{path}.description"), ""
        ),
    )
    found.check()
    return policy


def _parse_level(document: Any, path: str, known: Mapping[str, set[str]]) -> EscalationLevel:
    fields = read_object(
        document, path, required={"notify", "timeout"}, optional={"channels", "chain", "quorum"}
    )
    if ("channels" in fields) == ("chain" in fields):
        raise InvalidPolicy(path, "must give channels (all at once) or a chain (in order)")
    name = "chain" if "chain" in fields else "channels"
    channels = tuple(
        _level_channel(value, f"{path}.{name}[{index}]")
        for index, value in enumerate(read_list(fields[name], f"{path}.{name}"))
    )
    if not channels or len(set(channels)) != len(channels):
        raise InvalidPolicy(f"{path}.{name}", "must name at least one channel, each once")
    targets = tuple(
        _parse_level_target(value, f"{path}.notify[{index}]", known)
        for index, value in enumerate(read_list(fields["notify"], f"{path}.notify"))
    )
    if not targets:
        raise InvalidPolicy(f"{path}.notify", "must name at least one target")
    timeout = read_duration(fields["timeout"], f"{path}.timeout")
    if not timedelta(minutes=1) <= timeout <= MAX_TIMEOUT:
        raise InvalidPolicy(f"{path}.timeout", "must be between 1m and 24h")
    return EscalationLevel(
        targets=targets,
        channels=channels,
        timeout=timeout,
        chain=name == "chain",
        quorum=read_count(fields.get("quorum", 1), f"{path}.quorum"),
    )


def _level_channel(value: Any, path: str) -> Channel:
    text = read_string(value, path)
    try:
        channel = Channel(text)
    except ValueError:
        channel = Channel.BROADCAST
    if channel is Channel.BROADCAST:
        people = ", ".join(c.value for c in Channel if c is not Channel.BROADCAST)
        raise InvalidPolicy(path, f"must be a channel that reaches people: {people}")
    return channel


def _parse_level_target(document: Any, path: str, known: Mapping[str, set[str]]) -> LevelTarget:
    fields = read_object(document, path, required=set(), optional=set(TARGET_KINDS))
    if len(fields) != 1:
        raise InvalidPolicy(path, f"must name exactly one of {', '.join(TARGET_KINDS)}")
    ((kind, value),) = fields.items()
    name = read_identifier(value, f"{path}.{kind}")
    if kind != "contact" and name not in known.get(kind, set()):
        raise InvalidPolicy(f"{path}.{kind}", f"unknown {kind} {name!r}")
    return LevelTarget(kind=kind, name=name)


def direct_policy_id(kind: str, name: str) -> str:
    return f"{DIRECT_PREFIX}{kind}:{name}"


def direct_policy(policy_id: str) -> EscalationPolicy | None:
    """``@role:hr`` (or team, schedule, contact): one level paging that target by SMS and email
    at once, again every 5 minutes until acknowledged, three times in all. What a check-in's
    "I need help" pages when it names a role, team or schedule rather than a declared policy."""
    kind, _, name = policy_id.removeprefix(DIRECT_PREFIX).partition(":")
    if not policy_id.startswith(DIRECT_PREFIX) or kind not in TARGET_KINDS or not name:
        return None
    level = EscalationLevel(
        targets=(LevelTarget(kind, name),),
        channels=(Channel.SMS, Channel.EMAIL),
        timeout=DIRECT_TIMEOUT,
    )
    return EscalationPolicy(policy_id, (level,), repeat=DIRECT_REPEAT, description=policy_id)
