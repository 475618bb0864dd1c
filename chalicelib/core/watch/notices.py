"""What a canary says when a channel starts failing or delivers again: the canary.failed event
for the activation rules, and the text for the operations topic. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.core.fields import describe_duration
from chalicelib.core.model import Channel
from chalicelib.core.playbook.watching import Canary
from chalicelib.core.watch.ports import CanaryRound

SOURCE = "tocsin.canary"
FAILED = "canary.failed"


def canary_event(
    canary: Canary, channel: Channel, judged: CanaryRound, action: str, details: str
) -> dict[str, Any]:
    """A trigger when ``channel`` starts failing, a resolve when it delivers again; one
    incident per canary and channel (its dedup key)."""
    document: dict[str, Any] = {
        "source": SOURCE,
        "type": FAILED,
        "action": action,
        "dedup_key": f"canary:{canary.canary_id}:{channel.value}",
        "labels": {"canary": canary.canary_id, "channel": channel.value},
        "details": {
            "canary": canary.canary_id,
            "channel": channel.value,
            "round_incident_id": judged.incident_id,
            "round_begun_at": judged.begun_at.isoformat(),
            "messages": [line.strip() for line in details.splitlines()],
        },
        "occurred_at": judged.judge_by.isoformat(),
    }
    if action == "trigger":
        return document | {
            "severity": canary.severity.value,
            "status": "actual",
            "summary": f"Canary {canary.canary_id}: {channel.value} delivered nothing in time; "
            f"people paged by {channel.value} may not be reached",
        }
    return document | {"summary": f"Canary {canary.canary_id}: {channel.value} delivers again"}


def failing(
    canary: Canary, judged: CanaryRound, channels: Sequence[Channel], details: str
) -> tuple[str, str]:
    """(subject, message) for the operations topic."""
    names = ", ".join(channel.value for channel in channels)
    return (
        f"Tocsin canary {canary.canary_id}: {names} FAILED",
        f"Canary {canary.canary_id}: no delivery receipt came back in time for {names}.\n"
        f"\nRound begun {judged.begun_at:%Y-%m-%d %H:%M:%S} UTC "
        f"(test incident {judged.incident_id}):\n{details}\n"
        f"\nPeople paged by {names} may not be reached. Look at that channel's delivery events "
        "(SES event publishing, SNS SMS delivery status, the End User Messaging configuration "
        "set) and at the round's timeline. A canary.failed incident is open for it; the next "
        "round that delivers resolves it. Carriers can report late: a receipt that takes "
        f"longer than {describe_duration(canary.receipt_within)} counts as missing here.",
    )


def delivering_again(
    canary: Canary, judged: CanaryRound, channels: Sequence[Channel], details: str
) -> tuple[str, str]:
    names = ", ".join(channel.value for channel in channels)
    return (
        f"Tocsin canary {canary.canary_id}: {names} delivers again",
        f"Canary {canary.canary_id}: delivery receipts came back again for {names} "
        f"(test incident {judged.incident_id}).\n\n{details}\n\n"
        "The canary.failed incident for it is being resolved.",
    )
