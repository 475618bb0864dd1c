"""Judging a canary round from its incident's timeline. Pure.

Each message the round sent ends one of three ways: a delivery receipt (delivered), a final
failure (AWS refused it, or the receipt says bounced, failed, complained), or nothing by the
round's deadline: no receipt, or not even handed to AWS. A round is judged as soon as every
message's fate is known, and at its deadline at the latest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.fields import describe_duration
from chalicelib.core.model import Channel, TimelineEntry
from chalicelib.core.watch.ports import CanaryRound

DELIVERED = "delivered"
_FAILED = {"failed", "bounced", "complained"}


@dataclass(frozen=True)
class MessageOutcome:
    contact_id: str
    channel: Channel
    delivered: bool
    detail: str  # "delivered (3 s)", or why it is not


@dataclass
class _Seen:
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    failure: str | None = None  # a final failure


def judge(
    round_: CanaryRound, timeline: Sequence[TimelineEntry], now: datetime
) -> list[MessageOutcome] | None:
    """Every message's outcome, in the round's order; None while some are still awaited."""
    seen = {pair: _Seen() for pair in round_.expected}
    for entry in timeline:
        pair = (str(entry.data.get("contact_id", "")), str(entry.data.get("channel", "")))
        found = next((s for (c, ch), s in seen.items() if (c, ch.value) == pair), None)
        if found is not None:
            _note(found, entry)
    settled = all(s.delivered_at or s.failure for s in seen.values())
    if not settled and now < round_.judge_by:
        return None
    allowed = describe_duration(round_.judge_by - round_.begun_at)
    return [
        MessageOutcome(contact_id, channel, s.delivered_at is not None, _detail(s, allowed))
        for (contact_id, channel), s in seen.items()
    ]


def _note(seen: _Seen, entry: TimelineEntry) -> None:
    if entry.kind == "notification_sent":
        seen.sent_at = seen.sent_at or entry.at
    elif entry.kind == "notification_failed" and not entry.data.get("retryable", True):
        seen.failure = seen.failure or f"AWS refused it: {entry.data.get('error', 'error')}"
    elif entry.kind.startswith("delivery_"):
        status = str(entry.data.get("status", ""))
        if status == DELIVERED:
            seen.delivered_at = seen.delivered_at or entry.at
        elif status in _FAILED:
            seen.failure = seen.failure or f"{status}: {entry.data.get('detail', '')}".rstrip(": ")


def _detail(seen: _Seen, allowed: str) -> str:
    if seen.delivered_at is not None:
        took = (seen.delivered_at - seen.sent_at).total_seconds() if seen.sent_at else 0.0
        return f"{DELIVERED} ({max(took, 0):.0f} s after AWS took it)"
    if seen.failure is not None:
        return seen.failure
    if seen.sent_at is None:
        return f"not handed to AWS within {allowed}"
    return f"no delivery receipt within {allowed}"


def verdict(outcomes: Sequence[MessageOutcome]) -> dict[str, str]:
    """Per channel: ``delivered``, or what went wrong with each message that did not arrive."""
    by_channel: dict[str, list[MessageOutcome]] = {}
    for outcome in outcomes:
        by_channel.setdefault(outcome.channel.value, []).append(outcome)
    return {
        channel: DELIVERED
        if all(o.delivered for o in found)
        else "; ".join(f"to {o.contact_id}: {o.detail}" for o in found if not o.delivered)
        for channel, found in by_channel.items()
    }


def failing(verdicts: Mapping[str, str]) -> frozenset[Channel]:
    return frozenset(Channel(c) for c, said in verdicts.items() if said != DELIVERED)


def summary(outcomes: Sequence[MessageOutcome]) -> str:
    """One line for the round's timeline: what failed first, then what arrived."""
    ordered = sorted(outcomes, key=lambda o: o.delivered)
    return "; ".join(f"{o.channel.value} to {o.contact_id} {o.detail}" for o in ordered)
