"""What spending writes on an incident's timeline, worded once. Pure.

Every entry is keyed, so a retried step writes it again in place instead of twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from chalicelib.core.model import NotificationJob, TimelineEntry
from chalicelib.core.playbook.budget import Budget
from chalicelib.core.spend.ports import HeldMessage, Hold


def held_entry(
    hold_id: str, held: Sequence[HeldMessage], budget: Budget, window: datetime, now: datetime
) -> TimelineEntry:
    """``12 messages (7 email, 5 sms) held past the budget (email: 2000 messages an hour; ...)``."""
    by_channel = Counter(message.job.channel for message in held)
    what = ", ".join(f"{n} {channel.value}" for channel, n in sorted(by_channel.items()))
    limits = "; ".join(budget.describe(channel) for channel in sorted(by_channel))
    count = len(held)
    return TimelineEntry(
        at=now,
        kind="held",
        summary=f"{count} message{'' if count == 1 else 's'} ({what}) held past the budget "
        f"({limits}) "
        f"in the hour from {window:%H:%M} UTC; hold {hold_id}: release or cancel it "
        f"(tocsin holds release {hold_id})",
        data={
            "hold_id": hold_id,
            "messages": {channel.value: n for channel, n in sorted(by_channel.items())},
            "units": sum(message.charge.units for message in held),
            "estimated_usd": round(sum(message.charge.usd for message in held), 10),
            "window": window.isoformat(),
            "reason": "budget",
        },
        key=f"held-{hold_id}-{held[0].job.ledger_name}",
    )


def page_entry(
    role: str, people: int, jobs: Sequence[NotificationJob], window: datetime, now: datetime
) -> TimelineEntry:
    channels = sorted({job.channel for job in jobs})
    if jobs:
        how = f"{len(jobs)} messages ({', '.join(c.value for c in channels)})"
        summary = f"the message budget is spent: role {role} paged to release or cancel held "
        summary += f"messages ({people} people, {how})"
    else:
        summary = f"the message budget is spent, and nobody in role {role} can be reached to "
        summary += "release or cancel held messages (tocsin holds list)"
    return TimelineEntry(
        at=now,
        kind="budget_page",
        summary=summary,
        data={"role": role, "people": people, "messages": len(jobs), "window": window.isoformat()},
        key=f"budget-page-{window.isoformat()}",
    )


def unreleasable_entry(window: datetime, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="budget_page",
        summary="the message budget is spent and the playbook names nobody to release held "
        "messages (settings budget.release.role); see tocsin holds list",
        data={"role": None, "window": window.isoformat()},
        key=f"budget-unreleasable-{window.isoformat()}",
    )


def settled_entry(hold: Hold, by: str, via: str, released: bool, now: datetime) -> TimelineEntry:
    if released:
        summary = f"hold {hold.hold_id} released by {by} via {via}: {hold.describe()} sent "
        summary += f"past the budget (about ${hold.estimated_usd:.4f})"
    else:
        summary = f"hold {hold.hold_id} cancelled by {by} via {via}: {hold.describe()} will "
        summary += "not be sent"
    return TimelineEntry(
        at=now,
        kind="hold_released" if released else "hold_cancelled",
        summary=summary,
        data={
            "hold_id": hold.hold_id,
            "by": by,
            "via": via,
            "messages": {channel.value: n for channel, n in sorted(hold.messages.items())},
        },
        key=f"hold-settled-{hold.hold_id}",
    )


def resolved_entry(hold: Hold, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="hold_cancelled",
        summary=f"incident resolved: hold {hold.hold_id} cancelled, {hold.describe()} held "
        "past the budget will not be sent",
        data={
            "hold_id": hold.hold_id,
            "by": "resolution",
            "messages": {channel.value: n for channel, n in sorted(hold.messages.items())},
        },
        key=f"hold-settled-{hold.hold_id}",
    )
