"""What one message costs: the units its channel is billed in, and their estimated price. Pure.

SMS is billed by the part (GSM-7: 160 characters in one part, 153 a part beyond; UCS-2: 70 and
67), voice by the started minute (estimated here from the words spoken at 150 a minute plus the
pauses the SSML asks for), and email, push and stakeholder statements by the message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chalicelib.core.model import Channel, Message
from chalicelib.core.playbook.budget import ChannelBudget
from chalicelib.core.playbook.prices import Prices
from chalicelib.core.wording.segments import count_segments

WORDS_PER_MINUTE = 150
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<break\b[^>]*\btime\s*=\s*['\"](\d+(?:\.\d+)?)(ms|s)['\"]", re.IGNORECASE)


@dataclass(frozen=True)
class Charge:
    """One message's units (SMS parts, voice minutes, else 1) and its estimated price."""

    channel: Channel
    units: int
    usd: float
    price_row: str  # the row of the price table used: a prefix such as "+1", or "default"

    def to_data(self) -> dict[str, Any]:
        """What a ``notification_sent`` timeline entry records, so costs add up from it."""
        return {"units": self.units, "usd": self.usd, "price_row": self.price_row}


def units_of(channel: Channel, message: Message) -> int:
    if channel is Channel.SMS:
        return count_segments(message.body).segments
    if channel is Channel.VOICE:
        return voice_minutes(message.body)
    return 1


def voice_minutes(ssml: str) -> int:
    """Started minutes of a call reading ``ssml`` (at least one: billed from its start)."""
    pauses = sum(
        float(amount) / (1000 if unit.lower() == "ms" else 1)
        for amount, unit in _BREAK.findall(ssml)
    )
    words = len(_TAG.sub(" ", ssml).split())
    seconds = words * 60 / WORDS_PER_MINUTE + pauses
    return max(1, math.ceil(seconds / 60))


def charge(channel: Channel, destination: str | None, message: Message, prices: Prices) -> Charge:
    units = units_of(channel, message)
    price, row = prices.price(channel, destination)
    return _charge(channel, units, price, row)


@lru_cache(maxsize=256)  # immutable: one for every message priced alike (a fan-out's thousands)
def _charge(channel: Channel, units: int, price: float, row: str) -> Charge:
    return Charge(channel, units, round(units * price, 10), row)


def hour_of(moment: datetime) -> datetime:
    """The budget window a moment falls in: its clock hour, in UTC."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def fit(asks: Sequence[int], messages: int, units: int, limit: ChannelBudget) -> int:
    """How many of ``asks``, in order, fit on top of what is counted."""
    count = 0
    for ask in asks:
        if messages + count + 1 > limit.messages:
            break
        if limit.units is not None and units + ask > limit.units:
            break
        count += 1
        units += ask
    return count
