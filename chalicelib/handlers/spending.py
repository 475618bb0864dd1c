"""The held-messages gauge: every minute, how many messages wait past the budget.

It logs one line, always, even when nothing is held (``held_messages: 0``): the deployment's
metric filter turns it into the ``HeldMessages`` metric, and its alarm fires while the count
is above zero and clears when the last hold is released or cancelled.
"""

from __future__ import annotations

from chalice.app import CloudWatchEvent, Rate

from chalicelib.core.spend.ports import HoldState
from chalicelib.handlers import EdgeBlueprint
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

spending = EdgeBlueprint(__name__)

GAUGE_MESSAGE = "held messages"  # the metric filter matches this message (infra/)
_MOST_HOLDS = 1000


@spending.schedule(Rate(1, unit=Rate.MINUTES))
def report_held_messages(event: CloudWatchEvent) -> None:
    set_correlation_id(event.event_id)  # this tick
    held = container().hold_desk.recent(HoldState.HELD, limit=_MOST_HOLDS)
    logger.info(
        GAUGE_MESSAGE,
        extra={
            "held_messages": sum(hold.count for hold in held),
            "holds": len(held),
            "oldest_hold": min((hold.created_at.isoformat() for hold in held), default=None),
        },
    )
