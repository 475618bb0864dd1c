"""Answers (Responses): acknowledge, decline and resolve, on the fakes. What the person is told,
who is paged next, and what the timeline says."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.model import IncidentStatus, ResponseState, Stop, TimelineEntry
from chalicelib.core.response.state import NotCounted
from fakes import MemoryIncidentStore, MemoryWorld
from tests.unit.conftest import CHEN, DEMO, FAY, NIGHT, OUTAGE, incident_of, post, story, texts


@pytest.fixture
def outage(org: MemoryWorld) -> str:
    """The payments outage, its duty officer (Fay) paged."""
    return incident_of(org, post(org, OUTAGE)).incident_id


def test_the_person_paged_acknowledges_and_escalation_stops(org: MemoryWorld, outage: str) -> None:
    answer = org.responses.acknowledge(outage, Answerer.by_link("c-fay"))
    assert answer.message == "Acknowledged: Payments API down"
    assert answer.incident.response.stopped is Stop.ACKNOWLEDGED
    assert story(org, outage, "acknowledged") == [
        "acknowledged by c-fay via link; escalation stopped"
    ]
    org.clock.advance(minutes=30)
    assert org.escalator.tick().escalated == 0
    again = org.responses.acknowledge(outage, Answerer.by_sms("c-fay"))
    assert again.message == "You have already acknowledged: Payments API down"


def test_someone_not_paged_is_recorded_and_changes_nothing(org: MemoryWorld, outage: str) -> None:
    chen = Answerer.by_personal_key("chen-phone", "c-chen")
    answer = org.responses.acknowledge(outage, chen)
    assert (answer.outcome, answer.why) == ("not_counted", NotCounted.NOT_PAGED)
    assert answer.message == (
        "Recorded: Payments API down. It does not count toward the acknowledgements needed: "
        "you were not paged for this incident."
    )
    declined = org.responses.decline(outage, chen)
    assert (declined.outcome, declined.escalating) == ("decline_not_counted", False)
    incident = org.incidents.get(outage)
    assert incident is not None and incident.response.acknowledged_by == ()
    assert incident.response.declined_by == () and incident.response.stopped is None
    assert story(org, outage, "not_counted") == [
        "c-chen acknowledged via api; not counted: c-chen was not paged for this incident",
        "c-chen declined via api; not counted: c-chen was not paged for this incident",
    ]
    with pytest.raises(NotFound):
        org.responses.acknowledge("inc_nothing", Answerer.by_link("c-fay"))


def test_a_quorum_of_two_counts_the_first_and_stops_at_the_second(org: MemoryWorld) -> None:
    incident_id = incident_of(org, post(org, DEMO)).incident_id  # crisis-core: 2 must ack
    first = org.responses.acknowledge(incident_id, Answerer.by_personal_key("ada", "c-ada"))
    assert first.outcome == "counted"
    assert first.say("en") == (
        "Acknowledged: " + DEMO["summary"] + " 1 of 2 acknowledgements needed so far."
    )
    second = org.responses.acknowledge(incident_id, Answerer.by_sms("c-chen"))
    assert (second.outcome, second.have, second.needed) == ("acknowledged", 2, 2)
    assert story(org, incident_id, "acknowledged") == [
        "acknowledged by c-ada via api (1 of 2 needed)",
        "acknowledged by c-chen via sms reply; escalation stopped",
    ]


def test_when_everyone_paged_declines_the_next_level_is_paged_at_once(
    org: MemoryWorld, outage: str
) -> None:
    answer = org.responses.decline(outage, Answerer.by_link("c-fay"))
    assert (answer.escalating, answer.message) == (
        True,
        "Noted: you can't respond. The next level is being paged now.",
    )
    org.run_queues()
    assert len(texts(org, CHEN)) == 1  # level 2, without waiting five minutes
    # Fay is on level 2 too (the it-security role): there, Chen has not declined yet.
    level_two = org.responses.decline(outage, Answerer.by_sms("c-fay"))
    assert (level_two.escalating, level_two.message) == (False, "Noted: you can't respond.")
    again = org.responses.decline(outage, Answerer.by_link("c-fay"))
    assert again.message == "You have already said you can't respond."
    assert story(org, outage, "declined") == [
        "c-fay can't respond (via link)",
        "c-fay can't respond (via sms reply)",
    ]


def test_resolving_tells_everyone_an_alert_reached_and_only_once(
    org: MemoryWorld, outage: str
) -> None:
    answer = org.responses.resolve(outage, Answerer.by_personal_key("ada", "c-ada"))
    assert answer.message == "Resolved: Payments API down. 3 people told."
    assert answer.incident.status is IncidentStatus.RESOLVED
    org.run_queues()
    assert texts(org, FAY)[-1].startswith("TOCSIN RESOLVED: Payments API down")
    with pytest.raises(Conflict):
        org.responses.resolve(outage, Answerer.by_shared_key("ops-bot", None))
    with pytest.raises(Conflict, match="is resolved, not open"):
        org.responses.acknowledge(outage, Answerer.by_link("c-fay"))
    assert sorted(story(org, outage, "resolved", "resolution_notices")) == [
        "resolution notices queued for 3 people (3 messages)",
        "resolved by c-ada via api",
    ]


def test_a_tool_acknowledges_for_nobody_and_the_escalation_goes_on(
    org: MemoryWorld, outage: str
) -> None:
    answer = org.responses.acknowledge(outage, Answerer.by_event("grafana"))
    assert (answer.outcome, answer.why) == ("not_counted", NotCounted.NOT_A_PERSON)
    assert story(org, outage, "not_counted") == [
        "grafana acknowledged via event; not counted: a monitoring event answers for no person"
    ]
    org.clock.advance(minutes=6)
    assert org.escalator.tick().escalated == 1  # level 2 is paged all the same
    org.run_queues()
    assert len(texts(org, CHEN)) == 1


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
    answer = org.responses.acknowledge(incident_id, Answerer.by_link("c-fay"))
    assert answer.outcome == "acknowledged"
    assert answer.incident.response.version == 4  # paged (1), two rivals (2, 3), then this
    org.incidents.contended = 5
    with pytest.raises(TransientError, match="kept changing"):
        org.responses.decline(incident_id, Answerer.by_sms("c-fay"))
