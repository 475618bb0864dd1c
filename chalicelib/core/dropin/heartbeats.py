"""Heartbeat pings (Opsgenie's ``/v2/heartbeats/{name}/ping``), recorded through a port.

The minimal recording: who pinged which heartbeat when, in the item and attributes the heartbeat
monitoring of issue #24 reads (``HEARTBEAT#<id>``: last_ping_at, last_key, pings). That
monitoring, which opens an incident when a heartbeat falls silent, replaces this class with its
own ``ping(heartbeat_id, key)`` when the two are joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.dropin.ports import PingStore
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.ports import Clock

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Ping:
    heartbeat_id: str
    received_at: datetime
    pings: int


class HeartbeatPings:
    def __init__(self, store: PingStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def ping(self, heartbeat_id: str, key: ApiKey) -> Ping:
        """Record a ping by a key that may send events (``trigger`` scope)."""
        if not _NAME.fullmatch(heartbeat_id):
            raise InvalidRequest(
                "name", "must be 1 to 100 letters, digits, '.', '_' or '-', starting with one of "
                "the first two",
            )  # fmt: skip
        key.require(Scope.TRIGGER)
        now = self._clock.now()
        return Ping(heartbeat_id, now, self._store.record_ping(heartbeat_id, now, key.name))
