"""Out of hours is held, not dropped (#26): an event outside its rule's active hours waits for
the window to open and is decided then by the one-minute tick, unless resolved meanwhile.

NIGHT is Wednesday 2 December 2026, 03:00 in Copenhagen: the supply-chain rule below critical
runs in Copenhagen office hours (08:00-18:00, 07:00 UTC in winter)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.core.listing import EventQuery
from chalicelib.core.model import DecisionOutcome
from chalicelib.core.playbook.rules import OutsideHours
from fakes import MemoryWorld
from tests.unit.conftest import post

SUPPLY = {
    "source": "erp",
    "type": "supply.shortage",
    "severity": "high",
    "summary": "Resin supplier stopped deliveries",
    "dedup_key": "resin",
}
OPENS = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def record(org: MemoryWorld, event_id: str) -> tuple[DecisionOutcome, str | None]:
    found = org.events.get(event_id)
    assert found is not None
    return found.outcome, found.code


def test_an_event_outside_hours_is_held_and_decided_when_the_window_opens(
    org: MemoryWorld,
) -> None:
    received = post(org, SUPPLY)
    held = org.events.get(received.event_id)
    assert held is not None and (held.outcome, held.code) == (DecisionOutcome.HELD, "held")
    assert held.decide_at == OPENS
    assert held.reason is not None and "held until 2026-12-02T08:00:00+01:00" in held.reason
    assert org.sent() == []
    page = org.lists.events(EventQuery(status=DecisionOutcome.HELD))
    assert [item.event_id for item in page.items] == [received.event_id]

    org.clock.advance(hours=4, minutes=59)  # 06:59 UTC: still closed
    assert org.held_events.tick().queued == []
    org.clock.advance(minutes=1)
    assert org.held_events.tick().queued == [received.event_id]
    org.run_queues()

    outcome, code = record(org, received.event_id)
    assert (outcome, code) == (DecisionOutcome.ACTIVATED, "matched")
    decided = org.events.get(received.event_id)
    assert decided is not None and decided.incident_id is not None
    incident = org.incidents.get(decided.incident_id)
    assert incident is not None and incident.rule_id == "supply-disruption-office-hours"
    assert org.sent()  # the supply-chain team is reached at 08:00
    assert org.held_events.tick().queued == []  # decided: out of the due index


def test_a_resolve_while_held_cancels_the_hold(org: MemoryWorld) -> None:
    received = post(org, SUPPLY)
    resolve = post(org, {**SUPPLY, "action": "resolve"})
    assert record(org, received.event_id) == (DecisionOutcome.SUPPRESSED, "hold_cancelled")
    assert record(org, resolve.event_id) == (DecisionOutcome.SUPPRESSED, "hold_cancelled")
    org.clock.advance(hours=5)
    assert org.held_events.tick().queued == []
    org.run_queues()
    assert org.sent() == []


def test_a_critical_event_still_goes_to_the_any_hour_rule_at_once(org: MemoryWorld) -> None:
    received = post(org, {**SUPPLY, "severity": "critical"})
    assert record(org, received.event_id) == (DecisionOutcome.ACTIVATED, "matched")


def test_a_rule_may_drop_events_outside_its_hours_as_before(org: MemoryWorld) -> None:
    playbook = org.playbooks.load()
    rule = playbook.rule("supply-disruption-office-hours")
    assert rule is not None and rule.outside_hours is OutsideHours.HOLD
    drop = OutsideHours.DROP
    rules = tuple(replace(r, outside_hours=drop) if r is rule else r for r in playbook.rules)
    org.playbooks.use(replace(playbook, rules=rules))
    received = post(org, SUPPLY)
    assert record(org, received.event_id) == (DecisionOutcome.SUPPRESSED, "outside_time_window")
