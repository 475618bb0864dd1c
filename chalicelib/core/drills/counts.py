"""A drill's raw counts, from its incident's timeline: who was reached, delivered to, who
acknowledged, declined or stayed silent, and the median time to acknowledge. An answer the
escalation did not count (someone informed, not paged at that level) still counts here when the
person made it themselves (their link, reply or personal key): the drill asks who responded.
Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from statistics import median

from chalicelib.core.drills.kinds import RawCounts
from chalicelib.core.model import TimelineEntry


def raw_counts(roster: int, started: datetime, timeline: Iterable[TimelineEntry]) -> RawCounts:
    reached: set[str] = set()
    delivered: set[str] = set()
    acknowledged: dict[str, datetime] = {}
    declined: set[str] = set()
    for entry in timeline:
        who = entry.data.get("contact_id")
        if not isinstance(who, str):
            continue
        if entry.kind == "notification_sent":
            reached.add(who)
        elif entry.kind == "delivery_delivered":
            delivered.add(who)
        elif _answered(entry, "acknowledged"):
            acknowledged.setdefault(who, entry.at)
        elif _answered(entry, "declined"):
            declined.add(who)
    declined -= set(acknowledged)
    waits = [(at - started).total_seconds() for at in acknowledged.values()]
    return RawCounts(
        roster=roster,
        reached=len(reached),
        delivered=len(delivered),
        acknowledged=len(acknowledged),
        declined=len(declined),
        silent=len(reached - set(acknowledged) - declined),
        median_ack_seconds=median(waits) if waits else None,
    )


def _answered(entry: TimelineEntry, verb: str) -> bool:
    if entry.kind == verb:
        return True
    return (
        entry.kind == "not_counted"
        and entry.data.get("answer") == verb
        and entry.data.get("person_bound") is True
    )
