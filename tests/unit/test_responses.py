"""Answers (Responses): acknowledge, decline and resolve, on the fakes. What the person is told,
who is paged next, and what the timeline says."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chalicelib.core.errors import Conflict, Forbidden, NotFound, TransientError
from chalicelib.core.model import IncidentStatus, ResponseState, Stop, TimelineEntry
from fakes import MemoryIncidentStore, MemoryWorld
from tests.unit.conftest import CHEN, DEMO, FAY, NIGHT, OUTAGE, incident_of, post, story, texts


@pytest.fixture
def outage(org: MemoryWorld) -> str:
    """The payments outage, its duty officer (Fay) paged."""
    return incident_of(org, post(org, OUTAGE)).incident_id


def test_the_person_paged_acknowledges_and_escalation_stops(org: MemoryWorld, outage: str) -> None:
    answer = org.responses.acknowledge(outage, "c-fay", "link")
    assert answer.message == "Acknowledged: Payments API down"
    assert answer.incident.response.stopped is Stop.ACKNOWLEDGED
    assert story(org, outage, "acknowledged") == [
        "acknowledged by c-fay via link; escalation stopped"
    ]
    org.clock.advance(minutes=30)
    assert org.escalator.tick().escalated == 0
    again = org.responses.acknowledge(outage, "c-fay", "sms reply")
    assert again.message == "You have already acknowledged: Payments API down"


def test_someone_not_paged_cannot_answer(org: MemoryWorld, outage: str) -> None:
    with pytest.raises(Forbidden, match="c-chen was not paged for incident"):
        org.responses.acknowledge(outage, "c-chen", "api")
    with pytest.raises(Forbidden):
        org.responses.decline(outage, "c-chen", "api")
    with pytest.raises(NotFound):
        org.responses.acknowledge("inc_nothing", "c-fay", "api")


def test_a_quorum_of_two_counts_the_first_and_stops_at_the_second(org: MemoryWorld) -> None:
    incident_id = incident_of(org, post(org, DEMO)).incident_id  # crisis-core: 2 must ack
    first = org.responses.acknowledge(incident_id, "c-ada", "api")
    assert first.outcome == "counted"
    assert first.say("en") == (
        "Acknowledged: " + DEMO["summary"] + " 1 of 2 acknowledgements needed so far."
    )
    second = org.responses.acknowledge(incident_id, "c-chen", "sms reply")
    assert (second.outcome, second.have, second.needed) == ("acknowledged", 2, 2)
    assert story(org, incident_id, "acknowledged") == [
        "acknowledged by c-ada via api (1 of 2 needed)",
        "acknowledged by c-chen via sms reply; escalation stopped",
    ]


def test_when_everyone_paged_declines_the_next_level_is_paged_at_once(
    org: MemoryWorld, outage: str
) -> None:
    answer = org.responses.decline(outage, "c-fay", "link")
    assert (answer.escalating, answer.message) == (
        True,
        "Noted: you can't respond. The next level is being paged now.",
    )
    org.run_queues()
    assert len(texts(org, CHEN)) == 1  # level 2, without waiting five minutes
    # Fay is on level 2 too (the it-security role): there, Chen has not declined yet.
    level_two = org.responses.decline(outage, "c-fay", "sms reply")
    assert (level_two.escalating, level_two.message) == (False, "Noted: you can't respond.")
    again = org.responses.decline(outage, "c-fay", "link")
    assert again.message == "You have already said you can't respond."
    assert story(org, outage, "declined") == [
        "c-fay can't respond (via link)",
        "c-fay can't respond (via sms reply)",
    ]


def test_resolving_tells_everyone_an_alert_reached_and_only_once(
    org: MemoryWorld, outage: str
) -> None:
    answer = org.responses.resolve(outage, "c-ada", "api")
    assert answer.message == "Resolved: Payments API down. 3 people told."
    assert answer.incident.status is IncidentStatus.RESOLVED
    org.run_queues()
    assert texts(org, FAY)[-1].startswith("TOCSIN RESOLVED: Payments API down")
    with pytest.raises(Conflict):
        org.responses.resolve(outage, "c-ada", "api")
    with pytest.raises(Conflict, match="is resolved, not open"):
        org.responses.acknowledge(outage, "c-fay", "api")
    assert sorted(story(org, outage, "resolved", "resolution_notices")) == [
        "resolution notices queued for 3 people (3 messages)",
        "resolved by c-ada via api",
    ]


def test_a_tool_acknowledges_for_everyone(org: MemoryWorld, outage: str) -> None:
    answer = org.responses.acknowledge_for(outage, "grafana", "api")
    assert answer.outcome == "acknowledged"
    assert answer.incident.response.stopped is Stop.ACKNOWLEDGED


class ContendedIncidents(MemoryIncidentStore):
    """Another answer or a tick moves the state first, ``contended`` times in a row."""

    contended = 0

    def save_response(
        self, incident_id: str, seen: int, state: ResponseState, entries: Sequence[TimelineEntry]
    ) -> bool:
        if self.contended:
            self.contended -= 1
            incident = self.get(incident_id)
            assert incident is not None
            bumped = ResponseState(**{**vars(incident.response), "version": seen + 1})
            super().save_response(incident_id, seen, bumped, [])
        return super().save_response(incident_id, seen, state, entries)


def test_an_answer_that_loses_a_race_is_decided_again_on_the_state_it_lost_to() -> None:
    org = MemoryWorld.example(NIGHT, incidents=ContendedIncidents)
    incident_id = incident_of(org, post(org, OUTAGE)).incident_id
    assert isinstance(org.incidents, ContendedIncidents)
    org.incidents.contended = 2
    answer = org.responses.acknowledge(incident_id, "c-fay", "api")
    assert answer.outcome == "acknowledged"
    assert answer.incident.response.version == 4  # paged (1), two rivals (2, 3), then this
    org.incidents.contended = 5
    with pytest.raises(TransientError, match="kept changing"):
        org.responses.acknowledge_for(incident_id, "grafana", "api")
