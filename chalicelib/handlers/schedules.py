"""The one-minute tick: fire the playbook's scheduled triggers that fell due."""

from __future__ import annotations

from chalice.app import CloudWatchEvent, Rate

from chalicelib.handlers import EdgeBlueprint
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

schedules = EdgeBlueprint(__name__)


@schedules.schedule(Rate(1, unit=Rate.MINUTES))
def fire_scheduled_triggers(event: CloudWatchEvent) -> None:
    set_correlation_id(event.event_id)  # this tick (it may fire several triggers)
    fired = container().scheduled_triggers.fire_due()
    if fired:
        logger.info("scheduled triggers fired", extra={"event_ids": fired})
