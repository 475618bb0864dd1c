"""Heartbeat state, canary rounds and the operations topic, in memory.

The same rules as ``storage/heartbeats.py`` and ``storage/canaries.py`` (one contract suite,
``tests/functional/test_watch_stores.py``, runs against both): every heartbeat write moves its
version on; a miss is claimed only on the version read and recorded or cleared only while it is
the same miss; a round begins once per slot and is judged once; the failing channels are saved
only on the version read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from chalicelib.core.errors import TransientError
from chalicelib.core.model import Channel
from chalicelib.core.watch.ports import CanaryRound, CanaryState, HeartbeatState

RECENT_ROUNDS = 5  # as storage/canaries.py


class MemoryHeartbeatStore:
    def __init__(self) -> None:
        self.items: dict[str, HeartbeatState] = {}

    def states(self, heartbeat_ids: Sequence[str]) -> dict[str, HeartbeatState]:
        return {i: self.items[i] for i in heartbeat_ids if i in self.items}

    def watch(self, heartbeat_id: str, now: datetime) -> HeartbeatState:
        return self._put(self.items.get(heartbeat_id) or HeartbeatState(heartbeat_id, now))

    def ping(self, heartbeat_id: str, now: datetime, key_name: str) -> HeartbeatState:
        state = self.items.get(heartbeat_id) or HeartbeatState(heartbeat_id, now)
        return self._put(replace(state, last_ping_at=now, last_key=key_name, pings=state.pings + 1))

    def mark_missed(self, heartbeat_id: str, seen_version: int, now: datetime) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.version != seen_version or state.missed_at is not None:
            return False
        self._put(replace(state, missed_at=now, missed_event_id=None))
        return True

    def missed_sent(self, heartbeat_id: str, missed_at: datetime, event_id: str) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.missed_at != missed_at:
            return False
        self._put(replace(state, missed_event_id=event_id))
        return True

    def clear_missed(self, heartbeat_id: str, missed_at: datetime) -> bool:
        state = self.items.get(heartbeat_id)
        if state is None or state.missed_at != missed_at:
            return False
        self._put(replace(state, missed_at=None, missed_event_id=None))
        return True

    def _put(self, state: HeartbeatState) -> HeartbeatState:
        self.items[state.heartbeat_id] = replace(state, version=state.version + 1)
        return self.items[state.heartbeat_id]


class MemoryCanaryRounds:
    def __init__(self) -> None:
        self.rounds: dict[tuple[str, datetime], CanaryRound] = {}
        self.states: dict[str, CanaryState] = {}

    def begin(self, started: CanaryRound) -> bool:
        key = (started.canary_id, started.started_at)
        if key in self.rounds:
            return False
        self.rounds[key] = started
        return True

    def recent_rounds(self, canary_id: str) -> list[CanaryRound]:
        mine = [found for (canary, _), found in self.rounds.items() if canary == canary_id]
        return sorted(mine, key=lambda found: found.started_at)[-RECENT_ROUNDS:]

    def judged(self, canary_id: str, started_at: datetime, verdict: Mapping[str, str]) -> bool:
        found = self.rounds.get((canary_id, started_at))
        if found is None or found.verdict is not None:
            return False
        self.rounds[(canary_id, started_at)] = replace(found, verdict=dict(verdict))
        return True

    def state(self, canary_id: str) -> CanaryState:
        return self.states.get(canary_id, CanaryState())

    def save_state(self, canary_id: str, failing: frozenset[Channel], seen_version: int) -> bool:
        if self.state(canary_id).version != seen_version:
            return False
        self.states[canary_id] = CanaryState(failing, seen_version + 1)
        return True


class RecordingOperationsTopic:
    """Keeps what it was told; ``failing_next`` makes the next publishes fail as SNS does when
    it throttles."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []
        self.failing_next = 0

    def tell(self, subject: str, message: str) -> None:
        if self.failing_next:
            self.failing_next -= 1
            raise TransientError("SNS Publish (operations): Throttling")
        self.told.append((subject, message))

    def subjects(self) -> list[str]:
        return [subject for subject, _ in self.told]
