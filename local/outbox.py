"""Every message handed to a channel on the local stack, as an integrator would want to see it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class OutboxMessage:
    channel: str
    api: str
    destination: str
    subject: str | None
    body: str
    incident_id: str | None
    message_id: str
    time: str


class Outbox:
    """``listeners`` hear of every message once it is recorded (the delivery receipts)."""

    def __init__(self, listeners: list[Callable[[OutboxMessage], Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._messages: list[OutboxMessage] = []
        self.listeners = list(listeners or [])

    def record(
        self,
        *,
        channel: str,
        api: str,
        destination: str,
        body: str,
        message_id: str,
        subject: str | None = None,
        incident_id: str | None = None,
    ) -> None:
        message = OutboxMessage(
            channel=channel,
            api=api,
            destination=destination,
            subject=subject,
            body=body,
            incident_id=incident_id,
            message_id=message_id,
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
        )
        with self._lock:
            self._messages.append(message)
        for listener in self.listeners:
            listener(message)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(message) for message in self._messages]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
