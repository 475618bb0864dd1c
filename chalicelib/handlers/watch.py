"""The watching ticks: heartbeats gone quiet, and canary rounds (a test message on every channel,
judged by its delivery receipts). Both run every minute and are safe to overlap: every step
moves on by a conditional write.

Their log lines are the metrics the deployment alarms on (infra/tocsin_infra/watch.py):
``heartbeat missed`` and ``canary channel checked`` (``missing``: 1 when a channel's messages
came back with no delivery receipt in time), each with its ``stage``, a metric dimension, so
two stages in one account never share an alarm. Every hour, ``check_social_channels`` checks
each Slack, Teams and Mastodon outlet of the playbook (posting nothing) and logs ``social
channel checked`` (``failing``: 1 when its token or webhook does not work).
"""

from __future__ import annotations

from chalice.app import CloudWatchEvent, Rate

from chalicelib.core.watch.metric_lines import CANARY_CHECKED, HEARTBEAT_MISSED
from chalicelib.handlers import EdgeBlueprint
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import container

watch = EdgeBlueprint(__name__)


@watch.schedule(Rate(1, unit=Rate.MINUTES))
def check_heartbeats(event: CloudWatchEvent) -> None:
    set_correlation_id(event.event_id)  # this tick (it may find several heartbeats quiet)
    services = container()
    report = services.heartbeats.check()
    stage = services.settings.stage
    for heartbeat_id in report.missed:
        logger.warning(
            HEARTBEAT_MISSED, extra={"heartbeat": heartbeat_id, "missed": 1, "stage": stage}
        )
    for heartbeat_id in report.resolved:
        logger.info("heartbeat back", extra={"heartbeat": heartbeat_id})
    if report.watching:
        logger.info("heartbeats watched from now", extra={"heartbeats": report.watching})


@watch.schedule(Rate(1, unit=Rate.MINUTES))
def run_canaries(event: CloudWatchEvent) -> None:
    set_correlation_id(event.event_id)  # this tick (it may begin or judge several rounds)
    # A failure raises (the errors alarm says so); a round judged but not told keeps its old
    # state, so the next judged round tells again.
    services = container()
    report = services.canaries.tick()
    for incident_id in report.begun:
        logger.info("canary round begun", extra={"incident_id": incident_id})
    for gap in report.unwatched:
        logger.warning("canary cannot test a channel", extra={"gap": gap})
    for check in report.checks:
        logger.info(
            CANARY_CHECKED,
            extra={
                "canary": check.canary_id,
                "channel": check.channel.value,
                "missing": 0 if check.delivered else 1,
                "detail": check.detail,
                "incident_id": check.incident_id,
                "stage": services.settings.stage,
            },
        )
    for failing in report.failing:
        logger.warning("canary channel failing", extra={"canary_channel": failing})
    for recovered in report.recovered:
        logger.info("canary channel delivers again", extra={"canary_channel": recovered})


@watch.schedule(Rate(1, unit=Rate.HOURS))
def check_social_channels(event: CloudWatchEvent) -> None:
    # Imported here, as the checks are built: the minute ticks' functions never run them.
    from chalicelib.core.statements.channel_checks import SOCIAL_CHECKED

    set_correlation_id(event.event_id)
    services = container()
    for health in services.channel_checks.check():
        (logger.info if health.ok else logger.warning)(
            SOCIAL_CHECKED,
            extra={
                "outlet": health.outlet,
                "failing": 0 if health.ok else 1,
                "verified": health.verified,
                "detail": health.detail,
                "stage": services.settings.stage,
            },
        )
