"""Activating a plan by hand (ManualActivation) and the two-person rule, on the fakes."""

from __future__ import annotations

import pytest

from chalicelib.core.activation.manual import ManualRequest, parse_request
from chalicelib.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chalicelib.core.model import EventStatus, IncidentStatus, Severity
from fakes import MemoryWorld
from tests.unit.conftest import ADA, FAY, story, texts

RANSOM = ManualRequest(
    "Ransom note on the file servers", Severity.CRITICAL, EventStatus.ACTUAL, "manual.activation"
)


def test_the_two_person_rule_holds_the_broadcast_until_a_second_person_approves(
    org: MemoryWorld,
) -> None:
    incident = org.manual.request("crisis-cell", "c-bo", RANSOM)
    assert incident.status is IncidentStatus.AWAITING_APPROVAL
    org.run_queues()
    assert org.sent() == []  # nobody notified while it waits
    with pytest.raises(Forbidden, match="two-person rule"):
        org.manual.approve(incident.incident_id, "c-bo")
    with pytest.raises(Forbidden, match="executive, legal"):
        org.manual.approve(incident.incident_id, "c-fay")
    org.clock.advance(minutes=3)
    queued = org.manual.approve(incident.incident_id, "c-dina")
    assert queued > 0
    org.run_queues()
    assert len(texts(org, ADA)) == 1
    with pytest.raises(Conflict, match="not awaiting approval"):
        org.manual.approve(incident.incident_id, "c-ada")
    assert story(org, incident.incident_id, "activation_requested", "approved") == [
        "Full crisis cell activated by hand by c-bo; waiting for a second person "
        "(executive, legal) to approve",
        "approved by c-dina; notifying the plan",
    ]


def test_a_rejected_activation_notifies_nobody(org: MemoryWorld) -> None:
    incident = org.manual.request("crisis-cell", "c-bo", RANSOM)
    org.manual.reject(incident.incident_id, "c-bo", "false alarm")  # the requester may withdraw
    org.run_queues()
    stored = org.incidents.get(incident.incident_id)
    assert stored is not None and stored.status is IncidentStatus.CANCELLED
    assert org.sent() == []
    assert story(org, incident.incident_id, "rejected") == [
        "rejected by c-bo: false alarm; nobody was notified"
    ]
    with pytest.raises(Conflict):
        org.manual.reject(incident.incident_id, "c-ada", "")


def test_a_plan_without_approval_goes_out_at_once(org: MemoryWorld) -> None:
    incident = org.manual.request("site-emergency", "c-fay", RANSOM)
    assert incident.status is IncidentStatus.OPEN
    org.run_queues()
    assert len(texts(org, FAY)) == 1  # facilities: the first channel of her chain
    assert [sent.destination for sent in org.broadcast.sent] == ["@stakeholders"]
    assert story(org, incident.incident_id, "activated") == [
        "Site emergency activated by hand by c-fay"
    ]


def test_refusals_are_clear_and_activate_nothing(org: MemoryWorld) -> None:
    with pytest.raises(NotFound, match="no response plan nope"):
        org.manual.request("nope", "c-fay", RANSOM)
    with pytest.raises(Forbidden, match="cannot be activated by hand"):
        org.manual.request("it-major-incident", "c-fay", RANSOM)
    with pytest.raises(Forbidden, match="you need one of the roles facilities, executive"):
        org.manual.request("site-emergency", "c-bo", RANSOM)
    with pytest.raises(Forbidden, match="no longer exists"):
        org.manual.request("site-emergency", "c-gone", RANSOM)
    with pytest.raises(NotFound):
        org.manual.approve("inc_nothing", "c-ada")
    assert org.incidents.incidents() == [] and org.sent() == []


def test_a_request_names_what_is_wrong_with_it() -> None:
    assert parse_request({"summary": " Gas leak "}).summary == "Gas leak"
    with pytest.raises(InvalidRequest, match="summary"):
        parse_request({"summary": ""})
    with pytest.raises(InvalidRequest, match="severity"):
        parse_request({"summary": "x", "severity": "apocalyptic"})
    with pytest.raises(InvalidRequest, match="colour"):
        parse_request({"summary": "x", "colour": "red"})
