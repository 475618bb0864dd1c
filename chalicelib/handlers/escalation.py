"""The escalation tick (which also reminds of overdue updates and moves check-ins on: reminders,
leads, closing), and replies to Tocsin's texts (two-way SMS through SNS)."""

from __future__ import annotations

from chalice.app import CloudWatchEvent, Rate, SNSEvent

from chalicelib.core.errors import InvalidEvent, TransientError
from chalicelib.core.redaction import redact
from chalicelib.handlers import EdgeBlueprint, sns_message_id
from chalicelib.observability import logger, set_correlation_id
from chalicelib.settings import INBOUND_SMS_TOPIC, bound_name
from chalicelib.wiring import container

escalation = EdgeBlueprint(__name__)


@escalation.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_due_incidents(event: CloudWatchEvent) -> None:
    """Mark ``failed`` the events a crashed request recorded but never queued, queue every
    event held outside hours whose rule's window opened (to be decided), start the playbook's
    repeated drills that fell due and open the incident of every surprise drill whose secret
    moment came, page the next level of every incident nobody acknowledged in time (within a
    minute of its deadline), act on every verification gate whose timeout passed (page, cancel
    or escalate), remind the updates role of every incident whose update is overdue (once),
    and chase the silent of every open check-in. Safe to overlap: each step, each update
    deadline, each reminder round and each drill moves on by a conditional write."""
    # Imported here, as the tick builds the drills (the replies' function never does).
    from chalicelib.core.drills.runner import DrillTick

    set_correlation_id(event.event_id)  # this tick (it may move several incidents on)
    services = container()
    swept: list[str] = []
    try:
        never_queued = services.ingest.fail_unqueued()
    except TransientError as error:  # the escalations go ahead; the next tick sweeps again
        never_queued, swept = [], [f"events never queued: {error}"]
    if never_queued:
        logger.warning("events never queued marked failed", extra={"events": never_queued})
    try:
        held = services.held_events.tick().queued
    except Exception as error:  # isolated: the escalations go ahead; the next tick tries again
        held, swept = [], [*swept, f"held events not queued: {type(error).__name__}"]
        logger.error("held events not queued", extra={"error": redact(str(error))[:500]})
    if held:
        logger.info("held events queued: their windows opened", extra={"events": held})
    try:
        drills = services.drills.fire_due()
    except Exception as error:  # isolated: the escalations go ahead; the next tick tries again
        drills, swept = DrillTick(), [*swept, f"drills not fired: {type(error).__name__}"]
        logger.error("drills not fired", extra={"error": redact(str(error))[:500]})
    if drills.fired:
        logger.info("drills fired", extra={"drill_ids": drills.fired})
    if drills.skipped:
        logger.warning("repeated drills skipped", extra={"reasons": drills.skipped})
    gates = services.gatekeeper.tick()
    if gates.acted:
        logger.info("gates timed out", extra={"incidents": gates.acted})
    report = services.escalator.tick()
    if report.escalated:
        logger.info(
            "incidents escalated",
            extra={
                "incidents": report.escalated,
                "incident_ids": report.incidents,
                "jobs": report.jobs,
            },
        )
    rhythm = services.update_desk.tick()
    if rhythm.reminded:
        logger.info("updates overdue: their roles reminded", extra={"incidents": rhythm.reminded})
    for incident_id, reason in (gates.reasons | report.reasons | rhythm.reasons).items():
        logger.error(
            "incident not escalated; the next tick retries it",
            extra={"incident_id": incident_id, "error": redact(reason)[:500]},
        )
    checkins = services.checkin_reminders.tick()
    if checkins.reminded or checkins.leads or checkins.closed:
        logger.info(
            "check-ins moved on",
            extra={
                "reminded": checkins.reminded,
                "leads": checkins.leads,
                "closed": checkins.closed,
            },
        )
    failed = sorted(set(gates.failed + report.failed + rhythm.failed)) + checkins.failed + swept
    if failed:
        # The others moved on; the next tick (a minute later) tries these again, and the
        # failed invocation is what the errors alarm counts.
        raise TransientError(f"{len(failed)} incident(s) or check-in(s) to retry: {failed}")


@escalation.on_sns_message(topic=bound_name(INBOUND_SMS_TOPIC))
def answer_sms_replies(event: SNSEvent) -> None:
    # Imported here, as the replies are built (the tick's function never does).
    from chalicelib.core.response.replies import parse_inbound_sms

    set_correlation_id(sns_message_id(event))
    try:
        sms = parse_inbound_sms(event.message)
    except InvalidEvent as error:
        # Not something End User Messaging sends: keep it out of the retry loop.
        logger.warning("inbound SMS ignored", extra={"field": error.field, "error": error.message})
        return
    outcome = container().inbound.handle(sms)
    if outcome.incident_id:
        set_correlation_id(outcome.incident_id)
    # The number and the text are personal data: only ids and the intent are logged.
    logger.info(
        "inbound SMS handled",
        extra={
            "intent": outcome.intent,
            "contact_id": outcome.contact_id,
            "incident_id": outcome.incident_id,
            "answered": outcome.answer is not None,
        },
    )
    if outcome.withheld:
        # A loop with an auto-responder, most likely: silence until the next hour.
        logger.warning(
            "inbound SMS not answered: the number had its answers this hour",
            extra={"intent": outcome.intent, "contact_id": outcome.contact_id},
        )
