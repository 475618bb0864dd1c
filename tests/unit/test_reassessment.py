"""Reassessment (#26): a worse event joining an open incident raises it; the higher rule's plan
reaches only the people it adds, and lower severities never page anyone again."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.core.activation.reassess import rise
from chalicelib.core.model import DecisionOutcome, IncidentStatus, Severity
from chalicelib.core.verdicts import Verdict
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DEMO, DINA, FAY, incident_of, post, story, texts

BREACH = {**DEMO, "metrics": {"affected_people": 1200}, "severity": "high"}


def phones(org: MemoryWorld) -> dict[str, int]:
    return {phone: len(texts(org, phone)) for phone in (ADA, BO, CHEN, DINA, FAY)}


def emails(org: MemoryWorld) -> list[str]:
    return sorted(sent.destination for sent in org.email.sent)


def test_a_breach_that_grows_past_50000_pages_exactly_the_people_the_crisis_cell_adds(
    org: MemoryWorld,
) -> None:
    first = post(org, BREACH)
    incident = incident_of(org, first)
    assert (incident.rule_id, incident.plan_id) == ("data-breach-500", "breach-response")
    assert phones(org) == {ADA: 0, BO: 1, CHEN: 1, DINA: 0, FAY: 1}
    assert emails(org) == ["bo@example.com", "chen@example.com", "fay@example.com"]
    org.clock.advance(minutes=20)

    worse = post(org, {**BREACH, "metrics": {"affected_people": 60000}, "severity": "critical"})

    raised = incident_of(org, worse)
    assert raised.incident_id == incident.incident_id
    assert (raised.rule_id, raised.plan_id, raised.severity) == (
        "data-breach-50000",
        "crisis-cell",
        Severity.CRITICAL,
    )
    assert raised.response.policy_id == "crisis-core"
    record = org.events.get(worse.event_id)
    assert record is not None and (record.outcome, record.code) == (
        DecisionOutcome.UPDATED,
        "reassessed",
    )
    # Only the executive, legal and HR are new: nobody reached before hears it again.
    assert phones(org) == {ADA: 1, BO: 1, CHEN: 1, DINA: 1, FAY: 1}
    assert emails(org) == sorted(
        [
            "bo@example.com",
            "chen@example.com",
            "fay@example.com",
            "ada@example.com",
            "dina@example.com",
            "emil@example.com",
        ]
    )
    (why,) = story(org, incident.incident_id, "reassessed")
    assert "severity high -> critical" in why
    assert "rule data-breach-50000 (before data-breach-500) applies plan crisis-cell" in why
    assert any(
        "plan crisis-cell adds: c-ada, c-dina, c-emil" in s
        for s in story(org, raised.incident_id, "planned")
    )


def test_a_lower_or_equal_event_joins_as_a_duplicate_and_pages_nobody_again(
    org: MemoryWorld,
) -> None:
    first = post(org, {**DEMO, "severity": "critical"})
    incident = incident_of(org, first)
    before = org.sent()
    for severity, people in (("high", 1200), ("critical", 60000), ("high", 60000)):
        again = post(org, {**DEMO, "severity": severity, "metrics": {"affected_people": people}})
        record = org.events.get(again.event_id)
        assert record is not None and record.code == "duplicate"
    assert org.sent() == before
    stored = org.incidents.get(incident.incident_id)
    assert stored is not None and stored.severity is Severity.CRITICAL
    assert story(org, incident.incident_id, "reassessed") == []


def test_a_higher_severity_on_the_same_rule_raises_only_the_severity(org: MemoryWorld) -> None:
    first = post(org, BREACH)
    incident = incident_of(org, first)
    sent = len(org.sent())
    post(org, {**BREACH, "severity": "critical"})
    stored = org.incidents.get(incident.incident_id)
    assert stored is not None
    assert (stored.severity, stored.plan_id) == (Severity.CRITICAL, "breach-response")
    assert len(org.sent()) == sent
    (why,) = story(org, incident.incident_id, "reassessed")
    assert why.endswith("severity high -> critical")


def test_rise_is_pure_and_ignores_later_rules_and_closed_incidents(org: MemoryWorld) -> None:
    first = post(org, BREACH)
    incident = incident_of(org, first)
    playbook = org.playbooks.load()
    later = Verdict(True, "matched", "x", "data-breach-500", "breach-response", Severity.HIGH)
    assert rise(incident, first, later, playbook, org.clock.now()) is None
    higher = replace(later, rule_id="data-breach-50000", plan_id="crisis-cell")
    raised = rise(incident, first, higher, playbook, org.clock.now())
    assert raised is not None and raised[0].plan_id == "crisis-cell"
    resolved = replace(incident, status=IncidentStatus.RESOLVED)
    assert rise(resolved, first, higher, playbook, org.clock.now()) is None
