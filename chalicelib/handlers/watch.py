"""The watching ticks: heartbeats gone quiet, and canary rounds (a test message on every channel,
judged by its delivery receipts). Both run every minute and are safe to overlap: every step
moves on by a conditional write.

Their log lines are the metrics the deployment alarms on (infra/tocsin_infra/watch.py):
``heartbeat missed`` and ``canary channel checked`` (``missing``: 1 when a channel's messages
came back with no delivery receipt in time).
"""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.observability import logger
from chalicelib.wiring import container

watch = Blueprint(__name__)


@watch.schedule(Rate(1, unit=Rate.MINUTES))
def check_heartbeats(event: CloudWatchEvent) -> None:
    report = container().heartbeats.check()
    for heartbeat_id in report.missed:
        logger.warning("heartbeat missed", extra={"heartbeat": heartbeat_id, "missed": 1})
    for heartbeat_id in report.resolved:
        logger.info("heartbeat back", extra={"heartbeat": heartbeat_id})
    if report.watching:
        logger.info("heartbeats watched from now", extra={"heartbeats": report.watching})
