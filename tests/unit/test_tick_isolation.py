"""One bad incident does not stop every escalation: each incident's step at the tick is
isolated, whatever it raises; a failing one is reported with why and retried at the next tick,
and the others proceed."""

from __future__ import annotations

from chalicelib.core.model import Incident
from fakes import MemoryIncidentStore, MemoryWorld
from tests.unit.conftest import CHEN, NIGHT, OUTAGE, incident_of, post, texts


class UnreadableIncidents(MemoryIncidentStore):
    """The incidents named in ``unreadable`` cannot be read (a corrupt item, say)."""

    unreadable: frozenset[str] = frozenset()

    def get(self, incident_id: str) -> Incident | None:
        if incident_id in self.unreadable:
            raise ValueError(f"response_state of INCIDENT#{incident_id} is not JSON")
        return super().get(incident_id)


def two_due_incidents() -> tuple[MemoryWorld, UnreadableIncidents, str, str]:
    org = MemoryWorld.example(NIGHT, incidents=UnreadableIncidents)
    first = incident_of(org, post(org, OUTAGE)).incident_id
    org.clock.advance(seconds=30)  # the second is due later: the first heads the due list
    second = incident_of(org, post(org, OUTAGE, dedup_key="second-outage")).incident_id
    assert isinstance(org.incidents, UnreadableIncidents)
    org.clock.advance(minutes=6)
    return org, org.incidents, first, second


def test_an_unreadable_incident_at_the_head_of_the_due_list_holds_up_nobody() -> None:
    org, incidents, first, second = two_due_incidents()
    incidents.unreadable = frozenset({first})
    report = org.escalator.tick()
    assert report.failed == [first] and report.escalated == 1
    assert report.reasons == {first: f"ValueError: response_state of INCIDENT#{first} is not JSON"}
    assert second not in report.failed
    org.run_queues()
    assert len(texts(org, CHEN)) == 1  # the second incident's level 2 paged her

    incidents.unreadable = frozenset()  # fixed: the next tick catches the first one up
    caught_up = org.escalator.tick()
    assert (caught_up.failed, caught_up.escalated) == ([], 1)


class BrokenPolicyIncidents(MemoryIncidentStore):
    """A bug anywhere in one incident's step (here: saving its state) fails only that one."""

    broken: frozenset[str] = frozenset()

    def save_response(self, incident_id: str, *rest: object) -> bool:
        if incident_id in self.broken:
            raise KeyError("level")
        return super().save_response(incident_id, *rest)  # type: ignore[arg-type]


def test_a_bug_in_one_incidents_step_is_reported_and_the_others_proceed() -> None:
    org = MemoryWorld.example(NIGHT, incidents=BrokenPolicyIncidents)
    first = incident_of(org, post(org, OUTAGE)).incident_id
    second = incident_of(org, post(org, OUTAGE, dedup_key="second-outage")).incident_id
    assert isinstance(org.incidents, BrokenPolicyIncidents)
    org.incidents.broken = frozenset({first})
    org.clock.advance(minutes=6)
    report = org.escalator.tick()
    assert (report.failed, report.escalated) == ([first], 1)
    assert report.reasons[first] == "KeyError: 'level'"
    assert second not in report.reasons
