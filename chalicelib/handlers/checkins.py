"""The check-in tick: reminders to the silent, the leads told, check-ins closed at their
deadline. Safe to overlap: each round moves on by a write conditional on the version read."""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.core.errors import TransientError
from chalicelib.observability import logger
from chalicelib.wiring import container

checkin_ticks = Blueprint(__name__)


@checkin_ticks.schedule(Rate(1, unit=Rate.MINUTES))
def remind_checkins(event: CloudWatchEvent) -> None:
    report = container().checkin_reminders.tick()
    if report.reminded or report.leads or report.closed:
        logger.info(
            "check-ins moved on",
            extra={"reminded": report.reminded, "leads": report.leads, "closed": report.closed},
        )
    if report.failed:
        raise TransientError(f"{len(report.failed)} check-in(s) to retry: {report.failed}")
