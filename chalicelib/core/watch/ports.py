"""What watching needs besides the intake and the event store (activation's): where heartbeats
and canary rounds are remembered, and the operations topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.core.model import Channel, Incident, TimelineEntry


@dataclass(frozen=True)
class HeartbeatState:
    """What Tocsin knows of one heartbeat. ``watched_since``: when it started watching (the
    reference until the first ping); ``missed_at``: when it was found missed (None while all is
    well); ``missed_event_id``: the heartbeat.missed event then sent (None until it was queued);
    ``version`` changes with every write, so a decision is made on the state as read."""

    heartbeat_id: str
    watched_since: datetime
    last_ping_at: datetime | None = None
    last_key: str | None = None
    pings: int = 0
    missed_at: datetime | None = None
    missed_event_id: str | None = None
    version: int = 0


class HeartbeatStore(Protocol):
    """heartbeat state, one item per heartbeat:

    watch(id, now)            -> watched_since set once; the state as it is
    ping(id, now, key)        -> last ping = now, pings + 1 (and watched_since); the new state
    mark_missed(id, v, now)   -> missed_at = now, if the state is still at version v
    missed_sent(id, at, evt)  -> the event id, if missed_at is still ``at``
    clear_missed(id, at)      -> missed_at removed, if it is still ``at``
    """

    def states(self, heartbeat_ids: Sequence[str]) -> dict[str, HeartbeatState]: ...

    def watch(self, heartbeat_id: str, now: datetime) -> HeartbeatState: ...

    def ping(self, heartbeat_id: str, now: datetime, key_name: str) -> HeartbeatState: ...

    def mark_missed(self, heartbeat_id: str, seen_version: int, now: datetime) -> bool: ...

    def missed_sent(self, heartbeat_id: str, missed_at: datetime, event_id: str) -> bool: ...

    def clear_missed(self, heartbeat_id: str, missed_at: datetime) -> bool: ...


@dataclass(frozen=True)
class CanaryRound:
    """One round of a canary: its test incident, when it must be judged, and the messages
    (contact, channel) it sent. ``verdict`` is set once, when it was judged."""

    canary_id: str
    started_at: datetime  # the round's slot (a whole multiple of the canary's interval)
    begun_at: datetime  # when its messages were queued
    incident_id: str
    judge_by: datetime  # begun_at + the canary's receipt_within
    expected: tuple[tuple[str, Channel], ...]
    verdict: Mapping[str, str] | None = None  # channel -> "delivered" or why not


@dataclass(frozen=True)
class CanaryState:
    """The channels a canary found failing at its last judged round."""

    failing: frozenset[Channel] = frozenset()
    version: int = 0


class CanaryRounds(Protocol):
    """canary rounds and state:

    begin(round)                      -> True once per (canary, slot): the round is ours
    recent_rounds(canary)             -> its latest rounds (a few), oldest first
    judged(canary, start, verdict)    -> True once: the verdict is recorded
    state(canary) / save_state(...)   -> failing channels, written if still at version v
    """

    def begin(self, started: CanaryRound) -> bool: ...

    def recent_rounds(self, canary_id: str) -> list[CanaryRound]: ...

    def judged(self, canary_id: str, started_at: datetime, verdict: Mapping[str, str]) -> bool: ...

    def state(self, canary_id: str) -> CanaryState: ...

    def save_state(
        self, canary_id: str, failing: frozenset[Channel], seen_version: int
    ) -> bool: ...


class CanaryIncidents(Protocol):
    """The part of the incident store a canary round uses: its test incident and timeline."""

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None: ...

    def get(self, incident_id: str) -> Incident | None: ...

    def timeline(self, incident_id: str) -> list[TimelineEntry]: ...

    def close(self, incident: Incident, entry: TimelineEntry) -> bool: ...


class OperationsTopic(Protocol):
    """The operations topic: a path to a person that does not depend on Tocsin's channels."""

    def tell(self, subject: str, message: str) -> None: ...
