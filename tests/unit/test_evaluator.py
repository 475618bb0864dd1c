"""Deciding on events (the Evaluator), on the fakes: who is reached, and why the timeline and the
event's decision say what they say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.core.errors import TransientError
from chalicelib.core.events import parse_event
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    ReceivedEvent,
    Severity,
)
from chalicelib.core.ports import HistorySnapshot
from chalicelib.core.verdicts import Verdict
from fakes import MemoryIncidentStore, MemoryWorld
from tests.unit.conftest import (
    ADA,
    BO,
    CHEN,
    DEMO,
    DINA,
    FAY,
    NIGHT,
    OUTAGE,
    SENDER,
    inboxes,
    incident_of,
    post,
    story,
    texts,
)

ALARM = {
    "source": "aws.cloudwatch:123:eu-west-1",
    "type": "it.alarm",
    "severity": "high",
    "summary": "5xx above 5%",
    "labels": {"aws_region": "eu-west-1"},
}


def decision(org: MemoryWorld, event_id: str) -> tuple[DecisionOutcome, str | None, str | None]:
    record = org.events.get(event_id)
    assert record is not None
    return record.outcome, record.code, record.reason


def test_a_data_breach_reaches_the_whole_crisis_cell_by_sms_and_email(org: MemoryWorld) -> None:
    received = post(org, DEMO)
    incident = incident_of(org, received)
    assert decision(org, received.event_id) == (
        DecisionOutcome.ACTIVATED,
        "matched",
        "matched rule data-breach-50000",
    )
    assert incident.plan_id == "crisis-cell" and incident.status is IncidentStatus.OPEN
    for phone in (ADA, BO, CHEN, DINA, FAY):
        assert len(texts(org, phone)) == 1
    assert sorted(inboxes(org)) == [
        f"{name}@example.com" for name in ("ada", "bo", "chen", "dina", "emil", "fay")
    ]
    assert org.broadcast.sent == []  # the statements are drafts until two people approve
    drafts = org.statement_desk.statements(incident.incident_id)
    assert [(s.statement_id, s.state.value) for s in drafts] == [
        ("customers-en-1", "draft"),
        ("public-da-1", "draft"),
        ("public-en-1", "draft"),
        ("staff-da-1", "draft"),
        ("staff-en-1", "draft"),
    ]
    assert story(org, incident.incident_id, "activated", "planned") == [
        "incident opened: matched rule data-breach-50000",
        "11 notifications planned for 6 people",
    ]


def test_an_event_below_the_threshold_reaches_nobody_and_says_by_how_much(
    org: MemoryWorld,
) -> None:
    received = post(org, DEMO, metrics={"affected_people": 120})
    assert decision(org, received.event_id) == (
        DecisionOutcome.SUPPRESSED,
        "below_threshold",
        "below threshold: affected_people 120 < 500 (rule data-breach-500)",
    )
    assert org.sent() == [] and org.incidents.incidents() == []


def test_a_second_trigger_with_the_same_key_joins_the_open_incident_and_pages_nobody(
    org: MemoryWorld,
) -> None:
    first = post(org, OUTAGE)
    org.clock.advance(minutes=1)
    again = post(org, OUTAGE, summary="Payments API still down")
    incident = incident_of(org, first)
    assert decision(org, again.event_id)[:2] == (DecisionOutcome.UPDATED, "duplicate")
    assert incident_of(org, again).incident_id == incident.incident_id
    assert incident.event_count == 2
    assert len(texts(org, FAY)) == 1  # paged once
    assert story(org, incident.incident_id, "event_received")[-1] == (
        "trigger received from monitoring: Payments API still down "
        "(duplicate; nobody notified again)"
    )


def test_a_repeat_within_the_dedup_window_is_a_duplicate_even_after_resolution(
    org: MemoryWorld,
) -> None:
    first = post(org, OUTAGE)
    incident_id = incident_of(org, first).incident_id
    org.clock.advance(minutes=5)
    assert decision(org, post(org, OUTAGE, action="resolve").event_id)[0] is (
        DecisionOutcome.RESOLVED
    )
    org.clock.advance(minutes=15)
    again = post(org, OUTAGE)
    record = org.events.get(again.event_id)
    assert record is not None and record.incident_id == incident_id
    assert record.outcome is DecisionOutcome.SUPPRESSED
    assert record.reason == (
        f"duplicate of incident {incident_id} (opened 20m ago, within the 30m dedup window)"
    )
    assert story(org, incident_id)[-1] == (f"event from monitoring held back: {record.reason}")
    org.clock.advance(minutes=11)
    later = post(org, OUTAGE)
    assert incident_of(org, later).incident_id != incident_id


def test_an_alarm_storm_opens_three_incidents_and_holds_back_the_fourth(
    org: MemoryWorld,
) -> None:
    storm = []
    for minute in range(4):
        storm.append(post(org, ALARM, dedup_key=f"alarm-{minute}"))
        org.clock.advance(minutes=1)
    outcomes = [decision(org, received.event_id)[0] for received in storm]
    assert outcomes == [DecisionOutcome.ACTIVATED] * 3 + [DecisionOutcome.SUPPRESSED]
    reason = decision(org, storm[3].event_id)[2]
    assert reason is not None
    assert reason.startswith("rate limited: rule aws-alarms activated 3 times in the last 10m")
    org.clock.current = NIGHT + timedelta(minutes=10, seconds=30)
    late = post(org, ALARM, dedup_key="alarm-late")
    assert decision(org, late.event_id)[0] is DecisionOutcome.ACTIVATED


class RacedIncidents(MemoryIncidentStore):
    """Another evaluator opens an incident under the same rule just after this one first
    reads the rule's activation history."""

    armed = False  # the rival strikes at the next read
    reads = 0

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot:
        snapshot = super().history(rule_id, dedup_key, keep)
        self.reads += 1
        if self.armed:
            self.armed = False
            now = NIGHT + timedelta(minutes=2)
            rival = ReceivedEvent(
                new_event_id(now), now, parse_event({**ALARM, "dedup_key": "rival"})
            )
            incident = Incident(
                incident_id_for_event(rival.event_id),
                IncidentStatus.OPEN,
                "rival",
                "it.alarm",
                Severity.HIGH,
                EventStatus.ACTUAL,
                "rival",
                rule_id,
                "it-major-incident",
                now,
                now,
            )
            verdict = Verdict(True, "matched", "matched rule", rule_id, "it-major-incident")
            super().open(incident, rival, verdict, super().history(rule_id, "rival", keep))
        return snapshot


def test_two_evaluators_racing_for_the_last_place_under_a_rate_limit_open_one_incident() -> None:
    """The evaluator's history is stale by the time it opens (a rival took the third place):
    the opening is refused, it decides again on fresh history, and holds the event back."""
    org = MemoryWorld.example(NIGHT, incidents=RacedIncidents)
    for minute in range(2):
        post(org, ALARM, dedup_key=f"alarm-{minute}")
        org.clock.advance(minutes=1)
    assert isinstance(org.incidents, RacedIncidents)
    org.incidents.armed, org.incidents.reads = True, 0
    late = post(org, ALARM, dedup_key="alarm-late")
    assert org.incidents.reads == 2  # decided twice
    outcome, code, reason = decision(org, late.event_id)
    assert (outcome, code) == (DecisionOutcome.SUPPRESSED, "rate_limited")
    assert reason is not None and "activated 3 times in the last 10m" in reason
    assert len(org.incidents.incidents()) == 3


def test_a_redelivered_event_pages_nobody_twice(org: MemoryWorld) -> None:
    received = org.ingest.accept(DEMO, SENDER)
    [queued] = org.event_queue.take()
    org.evaluator.handle(queued)
    org.evaluator.handle(queued)  # SQS delivered it twice; the first run may have died
    org.run_queues()
    for phone in (ADA, BO, CHEN, DINA, FAY):
        assert len(texts(org, phone)) == 1
    assert decision(org, received.event_id)[0] is DecisionOutcome.ACTIVATED


def test_an_acknowledge_event_is_recorded_without_stopping_the_escalation_and_a_resolve_tells_all(
    org: MemoryWorld,
) -> None:
    """A tool answers for no person: only the people paged can stop the escalation."""
    opened = post(org, OUTAGE)
    incident_id = incident_of(org, opened).incident_id
    acked = post(org, OUTAGE, action="acknowledge")
    assert decision(org, acked.event_id) == (
        DecisionOutcome.ACKNOWLEDGED,
        "acknowledge",
        "acknowledgement from monitoring recorded; it does not stop the escalation (only the "
        "people paged can)",
    )
    assert story(org, incident_id, "acknowledged", "not_counted") == [
        "monitoring acknowledged via event; not counted: a monitoring event answers for no person"
    ]
    org.clock.advance(minutes=6)
    assert org.escalator.tick().escalated == 1  # level 2 paged, as without the event
    org.run_queues()
    post(org, OUTAGE, action="resolve")
    assert incident_of(org, opened).status is IncidentStatus.RESOLVED
    assert texts(org, FAY)[-1].startswith("TOCSIN RESOLVED: Payments API down")
    assert story(org, incident_id, "resolution_notices") == [
        "resolution notices queued for 4 people (4 messages)"  # Chen too: level 2 reached her
    ]


def test_a_follow_up_without_an_open_incident_is_suppressed(org: MemoryWorld) -> None:
    received = post(org, OUTAGE, action="resolve")
    assert decision(org, received.event_id) == (
        DecisionOutcome.SUPPRESSED,
        "no_open_incident",
        "no open incident with dedup_key payments-down to resolve",
    )


def test_an_incident_not_yet_readable_is_retried_not_lost(org: MemoryWorld) -> None:
    with pytest.raises(TransientError):
        org.notifier.notify("inc_not_there")
