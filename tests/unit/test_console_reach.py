"""The incident page's per-level table: who each level paged, on which channels, delivered or
not, and how each answered; the plan's first messages count for the first level."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.core.console.paged_levels import reach_table
from chalicelib.core.model import TimelineEntry
from chalicelib.core.response.standing import LevelStanding, Standing

AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def entry(kind: str, step: int, contact: str, channel: str) -> TimelineEntry:
    return TimelineEntry(AT, kind, "-", {"step": step, "contact_id": contact, "channel": channel})


def test_each_level_shows_channels_delivery_and_answers() -> None:
    standing = Standing(
        policy_id="crisis",
        needed=1,
        counted=("c-ada",),
        escalation="acknowledged",
        due_at=None,
        levels=(
            LevelStanding(0, 1, 0, 1, ("c-ada", "c-bo", "c-chen"), ("c-ada",), ("c-bo",)),
            LevelStanding(1, 2, 0, 1, ("c-dina",), (), ()),
        ),
        not_counted=(),
    )
    timeline = [
        entry("notification_sent", 0, "c-ada", "sms"),  # the plan's first message
        entry("delivery_delivered", 0, "c-ada", "sms"),
        entry("delivery_failed", 0, "c-ada", "sms"),  # a late status never hides delivery
        entry("notification_sent", 1, "c-bo", "email"),
        entry("notification_failed", 1, "c-chen", "sms"),
        entry("notification_sent", 2, "c-dina", "voice"),
        entry("delivery_no_answer", 2, "c-dina", "voice"),
        TimelineEntry(AT, "paged", "level 1", {"step": 0}),
    ]
    first, second = reach_table(standing, timeline)
    ada, bo, chen = first.people
    assert (ada.answer, ada.delivered, [(r.channel, r.outcome) for r in ada.channels]) == (
        "acknowledged",
        True,
        [("sms", "delivered")],
    )
    assert (bo.answer, bo.delivered, bo.channels[0].outcome) == ("declined", False, "sent")
    assert (chen.answer, chen.channels[0].outcome) == ("silent", "failed")
    (dina,) = second.people
    assert (second.level, dina.answer, dina.channels[0].outcome) == (2, "silent", "no_answer")
