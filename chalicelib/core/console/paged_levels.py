"""Who each escalation level paged, on which channels, whether each message was delivered, and
how the person answered. Pure: from the incident's standing and its timeline.

    level 1   c-ada   sms: delivered, email: sent          acknowledged
              c-chen  sms: failed (opted out)              silent
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.core.model import TimelineEntry
from chalicelib.core.response.standing import Standing


@dataclass(frozen=True)
class ChannelReach:
    channel: str
    outcome: str  # sent (handed to AWS), delivered, failed, bounced..., or the last delivery status


@dataclass(frozen=True)
class PersonReach:
    contact_id: str
    channels: tuple[ChannelReach, ...]
    answer: str  # acknowledged, declined, silent

    @property
    def delivered(self) -> bool:
        return any(reach.outcome == "delivered" for reach in self.channels)


@dataclass(frozen=True)
class LevelReach:
    step: int
    level: int
    repeat: int
    quorum: int
    people: tuple[PersonReach, ...]


def reach_table(standing: Standing, timeline: Iterable[TimelineEntry]) -> tuple[LevelReach, ...]:
    outcomes: dict[tuple[int, str, str], str] = {}
    for entry in timeline:
        data = entry.data
        step, contact, channel = data.get("step"), data.get("contact_id"), data.get("channel")
        if not (isinstance(step, int) and isinstance(contact, str) and isinstance(channel, str)):
            continue
        where = (step, contact, channel)
        if entry.kind == "notification_sent":
            outcomes.setdefault(where, "sent")
        elif entry.kind == "notification_failed":
            outcomes[where] = "failed"
        elif entry.kind.startswith("delivery_") and outcomes.get(where) != "delivered":
            outcomes[where] = entry.kind.removeprefix("delivery_")
    levels = []
    for level in standing.levels:
        # Escalation jobs carry their step counted from one; the plan's first messages (step
        # 0) reach the first level's people before the escalation pages them (not again).
        job_steps = {level.step + 1, 0} if level.step == 0 else {level.step + 1}
        people = tuple(
            PersonReach(
                contact_id=contact_id,
                channels=tuple(
                    ChannelReach(channel, outcome)
                    for (step, contact, channel), outcome in sorted(outcomes.items())
                    if step in job_steps and contact == contact_id
                ),
                answer="acknowledged"
                if contact_id in level.acknowledged
                else "declined"
                if contact_id in level.declined
                else "silent",
            )
            for contact_id in level.paged
        )
        levels.append(LevelReach(level.step, level.level, level.repeat, level.quorum, people))
    return tuple(levels)
