"""Channels in memory: they keep what they were handed, refuse what they are told to, and meet
the same contract as every AWS channel adapter (``tests/functional/test_channel_contracts.py``):
an accepted message returns its message id and is in the outbox with its incident; a refused
destination raises PermanentSendError naming no personal data, and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chalicelib.core.errors import PermanentSendError, SendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Message, SendReceipt


@dataclass(frozen=True)
class Sent:
    channel: Channel
    destination: str
    message: Message
    incident_id: str
    message_id: str


class RecordingChannel:
    """Accepts every destination except the refused ones, and keeps what it accepted."""

    def __init__(self, channel: Channel, refused: Iterable[str] = ()) -> None:
        self.channel = channel
        self._prefix = channel.value  # of its message ids
        self.refused = set(refused)
        self.sent: list[Sent] = []

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        if destination in self.refused:
            raise PermanentSendError(
                "Refused", f"{self.channel.value}: the destination was refused for good"
            )
        message_id = f"{self._prefix}-{len(self.sent) + 1:06d}"
        self.sent.append(Sent(self.channel, destination, message, incident_id, message_id))
        return SendReceipt(message_id)

    def to(self, destination: str) -> list[Message]:
        """What was sent to one destination, oldest first."""
        return [sent.message for sent in self.sent if sent.destination == destination]


class RecordingBatchChannel(RecordingChannel):
    """A channel whose API takes several people in one call (as Pinpoint's SendMessages)."""

    def __init__(
        self, channel: Channel, refused: Iterable[str] = (), batch_addresses: int = 100
    ) -> None:
        super().__init__(channel, refused)
        self.batch_addresses = batch_addresses
        self.calls: list[int] = []  # addresses per call

    def send_batch(
        self, items: Sequence[tuple[str, Message]], incident_id: str
    ) -> list[SendReceipt | SendError]:
        self.calls.append(sum(destination.count(";") + 1 for destination, _ in items))
        outcomes: list[SendReceipt | SendError] = []
        for destination, message in items:
            try:
                outcomes.append(self.send(destination, message, incident_id))
            except SendError as error:
                outcomes.append(error)
        return outcomes


class ScriptedChannel:
    """Raises the scripted errors for a destination, one per attempt, then delegates."""

    def __init__(self, inner: ChannelSender, script: Mapping[str, Iterable[SendError]]) -> None:
        self.channel: Channel = inner.channel
        self._inner = inner
        self._script = {destination: list(errors) for destination, errors in script.items()}
        self.attempts: list[str] = []

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        self.attempts.append(destination)
        failures = self._script.get(destination)
        if failures:
            raise failures.pop(0)
        return self._inner.send(destination, message, incident_id)
