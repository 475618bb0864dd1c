"""Recording fakes that implement the core's ports (no mock.patch)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.errors import SendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Message, SendReceipt
from chalicelib.core.telemetry import Figure


class ScriptedChannel:
    """Raises the scripted errors for a destination, one per attempt, then delegates."""

    def __init__(self, inner: ChannelSender, script: dict[str, list[SendError]]) -> None:
        self.channel: Channel = inner.channel
        self._inner = inner
        self._script = script
        self.attempts: list[str] = []

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        self.attempts.append(destination)
        failures = self._script.get(destination)
        if failures:
            raise failures.pop(0)
        return self._inner.send(destination, message, incident_id)


class FixedClock:
    """A clock that says what the test sets: ``clock.current = ...``."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class RecordingMeter:
    """Implements the core's Meter: every figure recorded, in order, as (name, value, by)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, float, str | None]] = []

    def record(self, figure: Figure, value: float = 1, by: str | None = None) -> None:
        self.records.append((figure.name, value, by))

    def total(self, name: str, by: str | None = None) -> float:
        return sum(v for n, v, b in self.records if n == name and (by is None or b == by))

    def values(self, name: str) -> list[float]:
        return [v for n, v, _ in self.records if n == name]
